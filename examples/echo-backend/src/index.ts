export { EchoBackend, type EchoBackendOptions } from './echo-backend.js';
export { echoKit } from './echo-kit.js';
export { ECHO_LANGUAGE, type EchoStatement, parseEcho } from './parse-echo.js';
