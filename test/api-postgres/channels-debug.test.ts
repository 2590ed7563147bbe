// test/api/channels-debug.test.ts again, on a PostgreSQL store (a throwaway server from Debian's package).
process.env.PIVOT_TEST_STORE = 'postgres';
await import('../api/channels-debug.test.js');
