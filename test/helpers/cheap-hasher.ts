/**
 * The password hasher the tests inject: scrypt with a tiny work factor (N=16, r=1, p=1), so building
 * an app with the demo contact center costs microseconds of hashing instead of one production scrypt
 * (N=16384, r=8) per user. The stored format and the verification code are the production ones;
 * only the cost written in each hash differs. Never used outside test/.
 */
import { scryptHasher } from '../../src/store/password.js';

export const CHEAP_SCRYPT_COST = Object.freeze({ N: 16, r: 1, p: 1 });

export const cheapHasher = scryptHasher(CHEAP_SCRYPT_COST);
