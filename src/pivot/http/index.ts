export * from './cidr.js';
export * from './url-policy.js';
export * from './form.js';
export * from './signing.js';
export * from './client.js';
export * from './document.js';
