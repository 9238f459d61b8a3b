// Loaded into every test process (`node --test --import`): property tests run with one fixed
// seed in CI, so a run is reproducible; FC_SEED=<n> picks another, `npm run fuzz` runs long.
import fc from 'fast-check';

fc.configureGlobal({ seed: Number(process.env.FC_SEED ?? 42) });
