#include "qmp_transport.h"

#include <errno.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>

#include "native_error.h"

namespace devmem {

namespace {

// A line that never ends is a broken peer, not a big reply: QEMU's largest
// replies (query-qom-tree of a full machine) are a few MiB.
constexpr size_t kMaxLineBytes = 64u << 20;
constexpr size_t kReadChunk = 64u << 10;

void FreePoll(uv_handle_t* handle) { delete reinterpret_cast<uv_poll_t*>(handle); }

}  // namespace

Napi::Function QmpTransport::Init(Napi::Env env) {
  return DefineClass(env, "QmpTransport",
                     {InstanceMethod<&QmpTransport::Write>("write"),
                      InstanceMethod<&QmpTransport::Close>("close")});
}

QmpTransport::QmpTransport(const Napi::CallbackInfo& info)
    : Napi::ObjectWrap<QmpTransport>(info) {
  Napi::Env env = info.Env();
  if (info.Length() < 3 || !info[0].IsString() || !info[1].IsFunction() ||
      !info[2].IsFunction()) {
    throw Napi::TypeError::New(env, "QmpTransport(path, onLine, onClose)");
  }
  std::string path = info[0].As<Napi::String>().Utf8Value();

  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.size() >= sizeof(addr.sun_path)) {
    throw MakeNativeError(env, ENAMETOOLONG, "connect", path);
  }
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);

  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) throw MakeNativeError(env, errno, "socket");

  // On Linux a unix-socket connect completes at once or fails (EAGAIN when
  // the listener's backlog is full); there is no EINPROGRESS state to wait
  // out, so connecting is synchronous and retrying is the caller's policy.
  int rc;
  do {
    rc = connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  } while (rc < 0 && errno == EINTR);
  if (rc < 0) {
    int err = errno;
    ::close(fd);
    throw MakeNativeError(env, err, "connect", path);
  }

  uv_loop_t* loop = nullptr;
  if (napi_get_uv_event_loop(env, &loop) != napi_ok) {
    ::close(fd);
    throw Napi::Error::New(env, "napi_get_uv_event_loop failed");
  }
  poll_ = new uv_poll_t;
  int uv_rc = uv_poll_init(loop, poll_, fd);
  if (uv_rc < 0) {
    delete poll_;
    poll_ = nullptr;
    ::close(fd);
    throw MakeNativeError(env, -uv_rc, "uv_poll_init", path);
  }
  poll_->data = this;
  fd_ = fd;
  on_line_ = Napi::Persistent(info[1].As<Napi::Function>());
  on_close_ = Napi::Persistent(info[2].As<Napi::Function>());
  async_context_ = std::make_unique<Napi::AsyncContext>(env, "QmpTransport");
  // An open connection must outlive its last JS reference, like a socket:
  // the poll handle points at this object until Shutdown.
  Ref();
  int start_rc = UpdatePollEvents();
  if (start_rc < 0) {
    Shutdown(-start_rc, "uv_poll_start", false);
    throw MakeNativeError(env, -start_rc, "uv_poll_start", path);
  }
}

QmpTransport::~QmpTransport() {
  // Only reached when the environment is torn down with the socket open.
  if (poll_ != nullptr) {
    poll_->data = nullptr;
    uv_poll_stop(poll_);
    uv_close(reinterpret_cast<uv_handle_t*>(poll_), FreePoll);
  }
  if (fd_ >= 0) ::close(fd_);
}

Napi::Value QmpTransport::Write(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsString()) {
    throw Napi::TypeError::New(env, "write(data: string)");
  }
  if (closed_) throw MakeNativeError(env, EBADF, "send");
  if (out_sent_ == out_.size()) {
    out_.clear();
    out_sent_ = 0;
  }
  out_ += info[0].As<Napi::String>().Utf8Value();
  int err = Flush();
  // A failed send is reported to the caller; the read side then sees the
  // reset or end of stream and reports the close through onClose.
  if (err != 0) throw MakeNativeError(env, err, "send");
  UpdatePollEvents();
  return env.Undefined();
}

Napi::Value QmpTransport::Close(const Napi::CallbackInfo& info) {
  Shutdown(0, nullptr, false);
  return info.Env().Undefined();
}

int QmpTransport::Flush() {
  while (out_sent_ < out_.size()) {
    ssize_t n = send(fd_, out_.data() + out_sent_, out_.size() - out_sent_,
                     MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) return 0;
      return errno;
    }
    out_sent_ += static_cast<size_t>(n);
  }
  out_.clear();
  out_sent_ = 0;
  return 0;
}

int QmpTransport::UpdatePollEvents() {
  if (closed_ || poll_ == nullptr) return 0;
  int events = UV_READABLE | (out_sent_ < out_.size() ? UV_WRITABLE : 0);
  if (events == poll_events_) return 0;
  poll_events_ = events;
  return uv_poll_start(poll_, events, OnPoll);
}

void QmpTransport::OnPoll(uv_poll_t* handle, int status, int events) {
  auto* self = static_cast<QmpTransport*>(handle->data);
  if (self == nullptr) return;
  Napi::Env env = self->Env();
  Napi::HandleScope scope(env);
  // A local handle keeps the wrapper alive even if a callback closes it.
  [[maybe_unused]] Napi::Object keep_alive = self->Value();
  if (status < 0) {
    // libuv turns POLLERR (e.g. QEMU exiting with our bytes unread) into
    // UV_EBADF and stops the poll without reporting readable data, yet the
    // socket may still hold QEMU's last lines: the answer to `quit` arrives
    // just before the reset. Deliver those, then report the real error.
    self->HandleReadable(true);
    if (self->closed_) return;
    int err = 0;
    socklen_t len = sizeof(err);
    if (getsockopt(self->fd_, SOL_SOCKET, SO_ERROR, &err, &len) < 0 || err == 0) err = -status;
    self->Shutdown(err, "poll", true);
    return;
  }
  if ((events & UV_WRITABLE) != 0) self->HandleWritable();
  if (!self->closed_ && (events & UV_READABLE) != 0) self->HandleReadable(false);
}

void QmpTransport::HandleWritable() {
  int err = Flush();
  if (err != 0) {
    Shutdown(err, "send", true);
    return;
  }
  UpdatePollEvents();
}

void QmpTransport::HandleReadable(bool drain) {
  char buf[kReadChunk];
  // uv_poll is level-triggered: one read per wakeup is enough and keeps a
  // chatty peer from starving the rest of the loop. `drain` reads to the end.
  for (;;) {
    ssize_t n = read(fd_, buf, sizeof(buf));
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) return;
      Shutdown(errno, "read", true);
      return;
    }
    if (n == 0) {
      // An unterminated tail at end of stream is not a QMP message; drop it.
      Shutdown(0, nullptr, true);
      return;
    }
    in_.append(buf, static_cast<size_t>(n));
    DispatchLines();
    if (closed_) return;
    if (in_.size() > kMaxLineBytes) {
      Shutdown(EMSGSIZE, "read", true);
      return;
    }
    if (!drain) return;
  }
}

void QmpTransport::DispatchLines() {
  Napi::Env env = Env();
  size_t start = 0;
  while (!closed_) {
    size_t nl = in_.find('\n', start);
    if (nl == std::string::npos) break;
    size_t end = nl;
    if (end > start && in_[end - 1] == '\r') --end;  // QEMU ends lines "\r\n"
    size_t line_start = start;
    start = nl + 1;
    if (end == line_start) continue;
    Napi::HandleScope scope(env);
    Napi::String line = Napi::String::New(env, in_.data() + line_start, end - line_start);
    Call(on_line_, line);
  }
  if (closed_) {
    in_.clear();
  } else {
    in_.erase(0, start);
  }
}

void QmpTransport::Call(Napi::FunctionReference& fn, napi_value arg) {
  if (fn.IsEmpty()) return;
  Napi::Function f = fn.Value();
  try {
    // MakeCallback (not Call) so async hooks see the context and promise
    // reactions queued by the callback run before we return to libuv.
    f.MakeCallback(Value(), {arg}, *async_context_);
  } catch (const Napi::Error& e) {
    // Same outcome as a throwing EventEmitter listener: uncaughtException.
    napi_fatal_exception(Env(), e.Value());
  }
}

void QmpTransport::Shutdown(int err, const char* syscall, bool notify) {
  if (closed_) return;
  closed_ = true;
  if (poll_ != nullptr) {
    poll_->data = nullptr;
    uv_poll_stop(poll_);
    uv_close(reinterpret_cast<uv_handle_t*>(poll_), FreePoll);
    poll_ = nullptr;
  }
  // libuv forbids closing the descriptor while it is being polled; the poll
  // was stopped just above.
  ::close(fd_);
  fd_ = -1;
  out_.clear();
  out_sent_ = 0;
  on_line_.Reset();
  Napi::FunctionReference on_close = std::move(on_close_);
  if (notify && !on_close.IsEmpty()) {
    Napi::Env env = Env();
    Napi::HandleScope scope(env);
    napi_value arg = err != 0 ? static_cast<napi_value>(
                                    MakeNativeError(env, err, syscall).Value())
                              : static_cast<napi_value>(env.Null());
    Call(on_close, arg);
  }
  Unref();
}

}  // namespace devmem
