// Entry point of devmem_lab.node. The whole surface is typed once in
// src/native/binding.ts; keep the two in step.
#include <napi.h>

#include "native_error.h"
#include "qmp_transport.h"
#include "shm_backend.h"

namespace {

Napi::Object InitAddon(Napi::Env env, Napi::Object exports) {
  using namespace devmem;
  env.SetInstanceData(new AddonData());
  exports.Set("setErrorClass", Napi::Function::New(env, SetErrorClass, "setErrorClass"));
  exports.Set("QmpTransport", QmpTransport::Init(env));
  exports.Set("ShmBackend", ShmBackend::Init(env));
  return exports;
}

}  // namespace

NODE_API_MODULE(devmem_lab, InitAddon)
