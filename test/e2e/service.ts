// The real service (npm start) for the e2e tests: the demo bundle on free ports with a throwaway state and key.
export { freePort, startService, type RunningService, type StartOptions } from "../../src/bench/service-process";
