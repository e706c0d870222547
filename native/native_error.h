// Errors that cross the addon boundary: every failed syscall becomes a JS
// error with `code` ('ENOENT'), `errno` (negative, as in Node's own fs and net
// errors) and `syscall`, so callers branch on codes rather than message text.
#ifndef DEVMEM_LAB_NATIVE_ERROR_H_
#define DEVMEM_LAB_NATIVE_ERROR_H_

#include <napi.h>

#include <string>

namespace devmem {

// setErrorClass(ctor): TypeScript hands over its NativeError class once, so
// errors built here are `instanceof NativeError` on the JS side.
void SetErrorClass(const Napi::CallbackInfo& info);

// Builds (does not throw) the error for a failed syscall. `err` is a positive
// errno value; `path` is attached when the failure concerns a file or socket.
Napi::Error MakeNativeError(Napi::Env env, int err, const char* syscall,
                            const std::string& path = std::string());

// Per-environment state, so the addon also works in worker threads.
struct AddonData {
  Napi::FunctionReference error_class;
};

}  // namespace devmem

#endif  // DEVMEM_LAB_NATIVE_ERROR_H_
