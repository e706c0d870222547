// QMP byte transport: a non-blocking unix-socket connection watched by a
// uv_poll_t on Node's own loop (no extra thread), which hands each complete
// '\n'-terminated line to JavaScript. It knows nothing about JSON, ids or
// timeouts; src/qmp/ owns all of that.
#ifndef DEVMEM_LAB_QMP_TRANSPORT_H_
#define DEVMEM_LAB_QMP_TRANSPORT_H_

#include <napi.h>
#include <uv.h>

#include <memory>
#include <string>

namespace devmem {

class QmpTransport : public Napi::ObjectWrap<QmpTransport> {
 public:
  static Napi::Function Init(Napi::Env env);

  // new QmpTransport(path, onLine(line), onClose(error | null))
  explicit QmpTransport(const Napi::CallbackInfo& info);
  ~QmpTransport() override;

 private:
  Napi::Value Write(const Napi::CallbackInfo& info);
  Napi::Value Close(const Napi::CallbackInfo& info);

  static void OnPoll(uv_poll_t* handle, int status, int events);
  void HandleWritable();
  void HandleReadable(bool drain);
  void DispatchLines();
  // Sends as much of the queued output as the socket takes; returns 0 or errno.
  int Flush();
  // Watches for writability only while output is queued; returns a uv error.
  int UpdatePollEvents();
  // Stops polling and closes the socket. With notify, onClose receives an
  // error for `err` != 0 or null for a clean end of stream.
  void Shutdown(int err, const char* syscall, bool notify);
  void Call(Napi::FunctionReference& fn, napi_value arg);

  int fd_ = -1;
  bool closed_ = false;
  uv_poll_t* poll_ = nullptr;  // freed by uv_close's callback, not by us
  int poll_events_ = 0;
  std::string in_;
  std::string out_;
  size_t out_sent_ = 0;
  Napi::FunctionReference on_line_;
  Napi::FunctionReference on_close_;
  std::unique_ptr<Napi::AsyncContext> async_context_;
};

}  // namespace devmem

#endif  // DEVMEM_LAB_QMP_TRANSPORT_H_
