#include "native_error.h"

#include <uv.h>

#include <cstring>

namespace devmem {

void SetErrorClass(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsFunction()) {
    throw Napi::TypeError::New(env, "setErrorClass expects a constructor");
  }
  AddonData* data = env.GetInstanceData<AddonData>();
  data->error_class = Napi::Persistent(info[0].As<Napi::Function>());
}

Napi::Error MakeNativeError(Napi::Env env, int err, const char* syscall,
                            const std::string& path) {
  // uv_err_name gives the same symbolic names Node uses ('ECONNREFUSED').
  const char* code = uv_err_name(-err);
  std::string message = std::string(syscall) + " " + code + " (" +
                        std::strerror(err) + ")";
  if (!path.empty()) message += " '" + path + "'";

  Napi::Object props = Napi::Object::New(env);
  props.Set("message", message);
  props.Set("code", code);
  props.Set("errno", -err);
  props.Set("syscall", syscall);
  if (!path.empty()) props.Set("path", path);

  AddonData* data = env.GetInstanceData<AddonData>();
  if (data != nullptr && !data->error_class.IsEmpty()) {
    Napi::Object obj = data->error_class.New({props});
    return Napi::Error(env, obj);
  }
  // Before setErrorClass (or if it was never called) fall back to a plain
  // Error carrying the same fields, so nothing is lost.
  Napi::Error e = Napi::Error::New(env, message);
  Napi::Object obj = e.Value();
  obj.Set("code", code);
  obj.Set("errno", -err);
  obj.Set("syscall", syscall);
  if (!path.empty()) obj.Set("path", path);
  return e;
}

}  // namespace devmem
