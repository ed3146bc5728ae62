import type { ConformanceKit } from '@memory-mcp/sandbox-core/testing';
import { ECHO_LANGUAGE } from './parse-echo.js';

/** The conformance programs, written in the echo language. */
export const echoKit: ConformanceKit = {
  language: ECHO_LANGUAGE,
  helloWorld: () => ({ language: ECHO_LANGUAGE, code: 'print hello world' }),
  echoInput: (value) => ({ language: ECHO_LANGUAGE, code: 'print-input', input: value }),
  returnValue: () => ({
    request: { language: ECHO_LANGUAGE, code: 'print computing\nreturn {"sum":6,"ok":true}' },
    value: { sum: 6, ok: true },
  }),
  throwError: () => ({
    request: { language: ECHO_LANGUAGE, code: 'throw conformance boom' },
    message: /conformance boom/,
  }),
  infiniteLoop: () => ({ language: ECHO_LANGUAGE, code: 'repeat forever nop' }),
  outputFlood: () => ({ language: ECHO_LANGUAGE, code: `repeat forever print ${'x'.repeat(1023)}` }),
};
