/** Bundle entry of the `bosun` bin. */

import { run } from './main.js';

await run();
