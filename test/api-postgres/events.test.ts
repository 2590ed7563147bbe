// test/api/events.test.ts again, on a PostgreSQL store (a throwaway server from Debian's package).
process.env.PIVOT_TEST_STORE = 'postgres';
await import('../api/events.test.js');
