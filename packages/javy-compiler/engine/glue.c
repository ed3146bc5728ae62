/*
 * memory-mcp engine glue: QuickJS-ng (the prebuilt quickjs-wasi reactor, see provenance.json) as a
 * WASI command, in the spirit of Javy.
 *
 * This file is compiled on its own (no libc) and merged with the QuickJS-ng module by the build
 * script: it calls the engine's exported C API (module "quickjs"), and it supplies the imports the
 * reactor expects from its embedder (module "memory_mcp_glue"): host functions, the interrupt
 * hook, and the clock, which reads zero while Wizer snapshots the engine so the snapshot is
 * byte-for-byte reproducible.
 *
 * Exports:
 *   wizer.initialize          create the runtime and context and evaluate the prelude (read from
 *                             stdin: the web-platform layer); run by Wizer at build time
 *   memory_mcp_eval_bytecode  run bytecode passed in memory (static and dynamic modules call this)
 *   memory_mcp_compile        compile source to bytecode (used by the compiler on the host)
 *   memory_mcp_alloc, memory_mcp_output_ptr, memory_mcp_output_len
 *
 * The prelude gets a few private primitives (write to stdout/stderr, the result channel, random
 * numbers) that no user code can reach, and returns the driver that runs the user's function:
 * JS jobs are pumped here; timers (virtual time) and the result record live in the prelude.
 */
#include <stddef.h>
#include <stdint.h>

typedef uint64_t JSValue;
typedef struct JSRuntime JSRuntime;
typedef struct JSContext JSContext;

/* QuickJS-ng on wasm32 NaN-boxes values: the tag is the high 32 bits. */
#define TAG(v) ((int32_t)((v) >> 32))
#define MKVAL(tag, val) (((uint64_t)(uint32_t)(tag) << 32) | (uint32_t)(val))
#define TAG_INT 0
#define TAG_BOOL 1
#define TAG_UNDEFINED 3
#define TAG_EXCEPTION 6
#define UNDEFINED MKVAL(TAG_UNDEFINED, 0)
#define IS_EXCEPTION(v) (TAG(v) == TAG_EXCEPTION)
#define EVAL_GLOBAL 0
#define EVAL_COMPILE_ONLY (1 << 5)
#define WRITE_OBJ_BYTECODE 1
#define READ_OBJ_BYTECODE 1

#define RESULT_FD 1023
#define GC_THRESHOLD (4 * 1024 * 1024)
#define QJS(name) __attribute__((import_module("quickjs"), import_name(#name)))
#define WASI(name) __attribute__((import_module("wasi_snapshot_preview1"), import_name(#name)))
#define EXPORT(name) __attribute__((export_name(name)))

QJS(memory_mcp_qjs_ctors) void qjs_ctors(void);
QJS(qjs_init) int qjs_init(void);
QJS(qjs_get_runtime_ptr) JSRuntime *qjs_runtime(void);
QJS(qjs_get_context_ptr) JSContext *qjs_context(void);
QJS(qjs_new_host_function) JSValue *qjs_new_host_function(const char *name, size_t len, int length);
QJS(qjs_new_number) JSValue *qjs_new_number(double value);
QJS(qjs_get_undefined) JSValue *qjs_get_undefined(void);
QJS(qjs_free_value) void qjs_free_value(JSValue *boxed);
QJS(qjs_is_promise) int qjs_is_promise(JSValue *boxed);
QJS(qjs_promise_state) int qjs_promise_state(JSValue *boxed);
QJS(qjs_promise_result) JSValue *qjs_promise_result(JSValue *boxed);
QJS(JS_SetMaxStackSize) void JS_SetMaxStackSize(JSRuntime *, size_t);
QJS(JS_RunGC) void JS_RunGC(JSRuntime *);
QJS(JS_SetGCThreshold) void JS_SetGCThreshold(JSRuntime *, size_t);
QJS(JS_GetGCThreshold) size_t JS_GetGCThreshold(JSRuntime *);
QJS(JS_Eval) JSValue JS_Eval(JSContext *, const char *, size_t, const char *, int);
QJS(JS_EvalFunction) JSValue JS_EvalFunction(JSContext *, JSValue);
QJS(JS_ReadObject) JSValue JS_ReadObject(JSContext *, const uint8_t *, size_t, int);
QJS(JS_WriteObject) uint8_t *JS_WriteObject(JSContext *, size_t *, JSValue, int);
QJS(JS_Call) JSValue JS_Call(JSContext *, JSValue, JSValue, int, JSValue *);
QJS(JS_NewObject) JSValue JS_NewObject(JSContext *);
QJS(JS_DupValue) JSValue JS_DupValue(JSContext *, JSValue);
QJS(JS_FreeValue) void JS_FreeValue(JSContext *, JSValue);
QJS(JS_GetPropertyStr) JSValue JS_GetPropertyStr(JSContext *, JSValue, const char *);
QJS(JS_SetPropertyStr) int JS_SetPropertyStr(JSContext *, JSValue, const char *, JSValue);
QJS(JS_NewStringLen) JSValue JS_NewStringLen(JSContext *, const char *, size_t);
QJS(JS_ToCStringLen2) const char *JS_ToCStringLen2(JSContext *, size_t *, JSValue, int);
QJS(JS_FreeCString) void JS_FreeCString(JSContext *, const char *);
QJS(JS_GetException) JSValue JS_GetException(JSContext *);
QJS(JS_ExecutePendingJob) int JS_ExecutePendingJob(JSRuntime *, JSContext **);
QJS(JS_ToFloat64) int JS_ToFloat64(JSContext *, double *, JSValue);
QJS(js_free) void js_free(JSContext *, void *);
QJS(malloc) void *malloc(size_t);
QJS(realloc) void *realloc(void *, size_t);
QJS(free) void free(void *);
QJS(memcpy) void *memcpy(void *, const void *, size_t);

typedef struct {
  const void *buf;
  size_t len;
} ciovec;
typedef struct {
  void *buf;
  size_t len;
} iovec;
WASI(fd_write) int wasi_fd_write(int, const ciovec *, size_t, size_t *);
WASI(fd_read) int wasi_fd_read(int, const iovec *, size_t, size_t *);
WASI(clock_time_get) int wasi_clock_time_get(int, uint64_t, uint64_t *);
WASI(random_get) int wasi_random_get(void *, size_t);
WASI(proc_exit) _Noreturn void wasi_proc_exit(int);

static int snapshotting;
static JSRuntime *rt;
static JSContext *ctx;
static JSValue driver = UNDEFINED;
static int result_written;
static uint8_t *output;
static size_t output_len;

/* ---- the imports the reactor expects from its embedder ---------------------------------------- */

EXPORT("clock_time_get") int glue_clock_time_get(int id, uint64_t precision, uint64_t *out) {
  if (snapshotting) {
    *out = 0;
    return 0;
  }
  return wasi_clock_time_get(id, precision, out);
}
EXPORT("random_get") int glue_random_get(void *buf, size_t len) {
  if (snapshotting) {
    for (size_t i = 0; i < len; i++) ((uint8_t *)buf)[i] = 0;
    return 0;
  }
  return wasi_random_get(buf, len);
}
/* Fuel bounds the run; nothing interrupts from inside. */
EXPORT("host_interrupt") int host_interrupt(void) { return 0; }
/* The prelude tracks rejections itself; the engine's hook frees what it hands over. */
EXPORT("host_promise_rejection") void host_promise_rejection(JSValue *promise, JSValue *reason, int handled) {
  qjs_free_value(promise);
  qjs_free_value(reason);
}
/* No module loader: `import` fails to resolve. */
EXPORT("host_module_normalize") char *host_module_normalize(const char *base, const char *name) { return 0; }
EXPORT("host_module_load") char *host_module_load(const char *name, size_t *len) { return 0; }
/* The sandbox's local time is UTC. */
EXPORT("host_get_timezone_offset") int host_get_timezone_offset(int hi, int lo) { return 0; }

static void write_all(int fd, const char *buf, size_t len) {
  while (len > 0) {
    ciovec io = {buf, len};
    size_t n = 0;
    if (wasi_fd_write(fd, &io, 1, &n) != 0 || n == 0) return; /* EBADF and friends: nothing to do */
    buf += n;
    len -= n;
  }
}

static int name_is(const char *name, size_t len, const char *want) {
  size_t i = 0;
  for (; i < len; i++)
    if (want[i] != name[i]) return 0;
  return want[i] == 0;
}

static double arg_number(int argc, JSValue **argv, int i) {
  double d = 0;
  if (i < argc) JS_ToFloat64(ctx, &d, *argv[i]);
  return d;
}

/* Host functions the prelude receives: write(fd, text), result(text) (once), random32(), and
   promiseState(p) / promiseResult(p), which let the console show a promise's state as node does. */
EXPORT("host_call") JSValue *host_call(const char *name, size_t name_len, JSValue *this_val, int argc, JSValue **argv) {
  int is_state = name_is(name, name_len, "promiseState");
  if (is_state || name_is(name, name_len, "promiseResult")) {
    if (argc < 1 || !qjs_is_promise(argv[0])) return qjs_get_undefined();
    /* 0 pending, 1 fulfilled, 2 rejected */
    if (is_state) return qjs_new_number((double)qjs_promise_state(argv[0]));
    return qjs_promise_state(argv[0]) == 0 ? qjs_get_undefined() : qjs_promise_result(argv[0]);
  }
  if (name_is(name, name_len, "random32")) {
    uint32_t r = 0;
    glue_random_get(&r, sizeof r);
    return qjs_new_number((double)r);
  }
  int is_result = name_is(name, name_len, "result");
  if (is_result || name_is(name, name_len, "write")) {
    int text_arg = is_result ? 0 : 1;
    int fd = is_result ? RESULT_FD : (int)arg_number(argc, argv, 0);
    if (fd != 1 && fd != 2 && fd != RESULT_FD) return qjs_get_undefined();
    if (fd == RESULT_FD && result_written) return qjs_get_undefined();
    if (argc <= text_arg) return qjs_get_undefined();
    size_t len;
    const char *s = JS_ToCStringLen2(ctx, &len, *argv[text_arg], 0);
    if (!s) return 0; /* the exception is pending */
    if (fd == RESULT_FD) result_written = 1;
    write_all(fd, s, len);
    JS_FreeCString(ctx, s);
    return qjs_get_undefined();
  }
  return qjs_get_undefined();
}

/* ---- set-up ------------------------------------------------------------------------------------ */

static uint8_t *read_fd(int fd, size_t *len_out) {
  size_t cap = 4096, len = 0;
  uint8_t *buf = malloc(cap + 1);
  for (;;) {
    if (!buf) break;
    if (len == cap) {
      uint8_t *grown = realloc(buf, cap * 2 + 1);
      if (!grown) break;
      buf = grown;
      cap *= 2;
    }
    iovec io = {buf + len, cap - len};
    size_t n = 0;
    if (wasi_fd_read(fd, &io, 1, &n) != 0 || n == 0) break;
    len += n;
  }
  if (buf) buf[len] = 0;
  *len_out = buf ? len : 0;
  return buf;
}

static void add_host_function(JSValue host, const char *name, size_t len) {
  JSValue *fn = qjs_new_host_function(name, len, 0);
  JS_SetPropertyStr(ctx, host, name, JS_DupValue(ctx, *fn));
  qjs_free_value(fn);
}

static void fail_init(const char *what) {
  static const char prefix[] = "memory-mcp engine: ";
  write_all(2, prefix, sizeof prefix - 1);
  size_t n = 0;
  while (what[n]) n++;
  write_all(2, what, n);
  write_all(2, "\n", 1);
  wasi_proc_exit(70);
}

EXPORT("wizer.initialize") void memory_mcp_wizer_initialize(void) {
  snapshotting = 1;
  qjs_ctors();
  if (qjs_init() != 0) fail_init("could not create the runtime");
  rt = qjs_runtime();
  ctx = qjs_context();
  /* below the 1 MiB shadow stack, so runaway recursion is a RangeError rather than a trap */
  JS_SetMaxStackSize(rt, 768 * 1024);
  size_t len;
  char *source = (char *)read_fd(0, &len);
  if (!source || len == 0) fail_init("no prelude on stdin");
  JSValue fn = JS_Eval(ctx, source, len, "memory-mcp:prelude", EVAL_GLOBAL);
  free(source);
  if (IS_EXCEPTION(fn)) fail_init("the prelude does not evaluate");
  JSValue host = JS_NewObject(ctx);
  add_host_function(host, "write", 5);
  add_host_function(host, "result", 6);
  add_host_function(host, "random32", 8);
  add_host_function(host, "promiseState", 12);
  add_host_function(host, "promiseResult", 13);
  driver = JS_Call(ctx, fn, UNDEFINED, 1, &host);
  JS_FreeValue(ctx, host);
  JS_FreeValue(ctx, fn);
  if (IS_EXCEPTION(driver)) {
    JSValue e = JS_GetException(ctx);
    size_t n;
    const char *s = JS_ToCStringLen2(ctx, &n, e, 0);
    if (s) write_all(2, s, n);
    fail_init("the prelude threw");
  }
  /* Collect the prelude's garbage now, and let a run allocate a while before its first collection:
     otherwise the first allocation of every run marks the whole prelude heap. */
  JS_RunGC(rt);
  JS_SetGCThreshold(rt, GC_THRESHOLD);
  snapshotting = 0;
}

/* ---- running ----------------------------------------------------------------------------------- */

static const char fallback_record[] =
    "{\"ok\":false,\"error\":{\"name\":\"InternalError\",\"message\":\"the engine could not report the result "
    "(out of memory)\"}}";

/* Calls driver[name](...args); on an exception that the driver cannot report itself, writes the
   fallback record. Returns the call's value (caller frees) or an exception value. */
static JSValue call_driver(const char *name, int argc, JSValue *argv) {
  JSValue fn = JS_GetPropertyStr(ctx, driver, name);
  JSValue r = IS_EXCEPTION(fn) ? fn : JS_Call(ctx, fn, driver, argc, argv);
  JS_FreeValue(ctx, fn);
  return r;
}

static int report_failure(JSValue error) {
  JSValue r = call_driver("fail", 1, &error);
  JS_FreeValue(ctx, error);
  if (IS_EXCEPTION(r)) {
    JS_FreeValue(ctx, JS_GetException(ctx));
    if (!result_written) {
      result_written = 1;
      write_all(RESULT_FD, fallback_record, sizeof fallback_record - 1);
    }
  }
  JS_FreeValue(ctx, r);
  return 1;
}

/* Runs bytecode compiled from `(async function () { <user code> })`: hands it to the prelude's
   driver, pumps jobs and timers until nothing is left, and lets the driver report. Returns the
   process exit code. */
static int run_bytecode(const uint8_t *bytecode, size_t len) {
  /* a run may start from the state another run left (a saved session): nothing of it carries over */
  result_written = 0;
  size_t input_len;
  char *input_text = (char *)read_fd(0, &input_len);
  JSValue input = JS_NewStringLen(ctx, input_text ? input_text : "", input_len);
  free(input_text);
  if (IS_EXCEPTION(input)) return report_failure(JS_GetException(ctx));

  JSValue fn = JS_ReadObject(ctx, bytecode, len, READ_OBJ_BYTECODE);
  /* the module's _start copied the bytecode into a buffer from memory_mcp_alloc; QuickJS keeps its
     own copy, so the buffer goes back now (a saved session does not grow by it at every call) */
  free((void *)bytecode);
  if (!IS_EXCEPTION(fn)) fn = JS_EvalFunction(ctx, fn);
  if (IS_EXCEPTION(fn)) {
    JS_FreeValue(ctx, input);
    return report_failure(JS_GetException(ctx));
  }
  JSValue args[2] = {fn, input};
  JSValue r = call_driver("begin", 2, args);
  JS_FreeValue(ctx, fn);
  JS_FreeValue(ctx, input);
  if (IS_EXCEPTION(r)) return report_failure(JS_GetException(ctx));
  JS_FreeValue(ctx, r);
  for (;;) {
    JSContext *job_ctx;
    int status;
    while ((status = JS_ExecutePendingJob(rt, &job_ctx)) > 0) {
    }
    if (status < 0) return report_failure(JS_GetException(ctx));
    JSValue more = call_driver("step", 0, 0);
    if (IS_EXCEPTION(more)) return report_failure(JS_GetException(ctx));
    int again = TAG(more) == TAG_BOOL && (uint32_t)more != 0;
    JS_FreeValue(ctx, more);
    if (!again) break;
  }
  JSValue code = call_driver("finish", 0, 0);
  if (IS_EXCEPTION(code)) return report_failure(JS_GetException(ctx));
  double exit_code = 1;
  JS_ToFloat64(ctx, &exit_code, code);
  JS_FreeValue(ctx, code);
  return exit_code == 0 ? 0 : 1;
}

EXPORT("memory_mcp_alloc") void *memory_mcp_alloc(size_t size) { return malloc(size); }
EXPORT("memory_mcp_output_ptr") uint8_t *memory_mcp_output_ptr(void) { return output; }
EXPORT("memory_mcp_output_len") size_t memory_mcp_output_len(void) { return output_len; }

EXPORT("memory_mcp_eval_bytecode") int memory_mcp_eval_bytecode(const uint8_t *bytecode, size_t len) {
  if (!ctx) {
    static const char msg[] = "memory-mcp engine: not initialized (run it pre-initialized)\n";
    write_all(2, msg, sizeof msg - 1);
    return 2;
  }
  return run_bytecode(bytecode, len);
}

/* Compiles NUL-terminated source to bytecode. 0: output holds bytecode; 1: output holds the error
   as "Name: message\n<stack>". */
EXPORT("memory_mcp_compile") int memory_mcp_compile(const char *source, size_t len) {
  free(output);
  output = 0;
  output_len = 0;
  JSValue obj = JS_Eval(ctx, source, len, "input.js", EVAL_GLOBAL | EVAL_COMPILE_ONLY);
  if (IS_EXCEPTION(obj)) {
    JSValue error = JS_GetException(ctx);
    JSValue stack = JS_GetPropertyStr(ctx, error, "stack");
    size_t a = 0, b = 0;
    const char *s1 = JS_ToCStringLen2(ctx, &a, error, 0);
    const char *s2 = IS_EXCEPTION(stack) ? 0 : JS_ToCStringLen2(ctx, &b, stack, 0);
    output = malloc(a + b + 2);
    if (output) {
      if (s1) memcpy(output, s1, a);
      output[a] = '\n';
      if (s2) memcpy(output + a + 1, s2, b);
      output_len = a + 1 + (s2 ? b : 0);
    }
    if (s1) JS_FreeCString(ctx, s1);
    if (s2) JS_FreeCString(ctx, s2);
    JS_FreeValue(ctx, stack);
    JS_FreeValue(ctx, error);
    return 1;
  }
  size_t size = 0;
  uint8_t *bytes = JS_WriteObject(ctx, &size, obj, WRITE_OBJ_BYTECODE);
  JS_FreeValue(ctx, obj);
  if (!bytes) return 1;
  output = malloc(size);
  if (output) {
    memcpy(output, bytes, size);
    output_len = size;
  }
  js_free(ctx, bytes);
  return output ? 0 : 1;
}
