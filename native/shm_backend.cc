#include "shm_backend.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <new>

#include "native_error.h"
#include "xxh64.h"

namespace devmem {

namespace {

// Large enough that syscall overhead vanishes next to the copy, small enough
// that the chunk is still in L2 when it is checked (256 KiB: 8.45 GB/s for
// pread + check against 1 MiB's 8.13 on a 1 MiB-L2 host; bench/shm).
constexpr size_t kChunk = 256u << 10;

// Offsets and lengths arrive as JS numbers; src/shm validates them properly,
// this only keeps a bad call from reaching a syscall with nonsense.
off_t ArgOff(const Napi::CallbackInfo& info, size_t i) {
  if (i >= info.Length() || !info[i].IsNumber()) {
    throw Napi::TypeError::New(info.Env(), "expected a number argument");
  }
  double v = info[i].As<Napi::Number>().DoubleValue();
  if (!(v >= 0) || v > 9007199254740991.0 || std::floor(v) != v) {
    throw Napi::RangeError::New(info.Env(), "expected a non-negative integer");
  }
  return static_cast<off_t>(v);
}

// Index of the first non-zero byte, or -1: each 4 KiB of the chunk is
// memcmp-ed against one page of zeros, which never leaves L1 (glibc's
// memcmp is vectorised for the host's CPU), as plain Node's Buffer.equals
// against a zero Buffer compares. The earlier check, a memcmp of the chunk
// against itself shifted by a byte, reads the chunk twice and ran at
// 0.90-0.92 x plain Node on an Intel Xeon host (2026-12-04).
// Only a chunk that is not all zero is walked byte by byte.
alignas(4096) const uint8_t kZeroPage[4096] = {};

ssize_t FirstNonZero(const uint8_t* p, size_t n) {
  size_t i = 0;
  while (i < n && std::memcmp(p + i, kZeroPage, std::min<size_t>(n - i, sizeof kZeroPage)) == 0) i += sizeof kZeroPage;
  for (; i < n; ++i) {
    if (p[i] != 0) return static_cast<ssize_t>(i);
  }
  return -1;
}

}  // namespace

Napi::Function ShmBackend::Init(Napi::Env env) {
  return DefineClass(env, "ShmBackend",
                     {InstanceMethod<&ShmBackend::Size>("size"),
                      InstanceMethod<&ShmBackend::Extents>("extents"),
                      InstanceMethod<&ShmBackend::Read>("read"),
                      InstanceMethod<&ShmBackend::FindNonZero>("findNonZero"),
                      InstanceMethod<&ShmBackend::Digest>("digest"),
                      InstanceMethod<&ShmBackend::Write>("write"),
                      InstanceMethod<&ShmBackend::Close>("close")});
}

ShmBackend::ShmBackend(const Napi::CallbackInfo& info)
    : Napi::ObjectWrap<ShmBackend>(info) {
  Napi::Env env = info.Env();
  if (info.Length() < 2 || !info[0].IsString() || !info[1].IsBoolean()) {
    throw Napi::TypeError::New(env, "ShmBackend(path, writable)");
  }
  path_ = info[0].As<Napi::String>().Utf8Value();
  bool writable = info[1].As<Napi::Boolean>().Value();
  int fd;
  do {
    fd = open(path_.c_str(), (writable ? O_RDWR : O_RDONLY) | O_CLOEXEC);
  } while (fd < 0 && errno == EINTR);
  if (fd < 0) throw MakeNativeError(env, errno, "open", path_);
  fd_ = fd;
}

ShmBackend::~ShmBackend() {
  if (fd_ >= 0) ::close(fd_);
}

uint8_t* ShmBackend::Scratch() {
  if (!scratch_) {
    void* p = nullptr;
    if (posix_memalign(&p, 4096, kChunk) != 0) throw std::bad_alloc();
    scratch_.reset(static_cast<uint8_t*>(p));
  }
  return scratch_.get();
}

Napi::Value ShmBackend::Size(const Napi::CallbackInfo& info) {
  struct stat st;
  if (fstat(fd_, &st) < 0) throw MakeNativeError(info.Env(), errno, "fstat", path_);
  return Napi::Number::New(info.Env(), static_cast<double>(st.st_size));
}

// SEEK_DATA/SEEK_HOLE report which pages exist in the page cache (shmem:
// allocated or swapped), which is exactly "populated" for the backend. A
// page of zeros that was written still counts as data.

// The first populated offset in [off, end), or -1.
off_t ShmBackend::NextData(Napi::Env env, off_t off, off_t end) {
  off_t data = lseek(fd_, off, SEEK_DATA);
  if (data < 0) {
    if (errno == ENXIO) return -1;  // no data at or after off
    throw MakeNativeError(env, errno, "lseek", path_);
  }
  return data < end ? data : -1;
}

void ShmBackend::CollectExtents(Napi::Env env, off_t off, off_t end,
                                std::vector<off_t>* out) {
  while (off < end) {
    off_t data = NextData(env, off, end);
    if (data < 0) return;
    off_t hole = lseek(fd_, data, SEEK_HOLE);
    if (hole < 0) throw MakeNativeError(env, errno, "lseek", path_);
    if (hole > end) hole = end;
    out->push_back(data);
    out->push_back(hole - data);
    off = hole;
  }
}

Napi::Value ShmBackend::Extents(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  off_t off = ArgOff(info, 0);
  off_t end = off + ArgOff(info, 1);
  std::vector<off_t> pairs;
  CollectExtents(env, off, end, &pairs);
  // Flat [offset, length, offset, length, ...]: one allocation however
  // fragmented the backend is; doubles are exact below 2^53 bytes.
  Napi::Float64Array result = Napi::Float64Array::New(env, pairs.size());
  for (size_t i = 0; i < pairs.size(); ++i) result[i] = static_cast<double>(pairs[i]);
  return result;
}

size_t ShmBackend::ReadFull(Napi::Env env, uint8_t* buf, size_t n, off_t off) {
  size_t got = 0;
  while (got < n) {
    ssize_t r = pread(fd_, buf + got, n - got, off + static_cast<off_t>(got));
    if (r < 0) {
      if (errno == EINTR) continue;
      throw MakeNativeError(env, errno, "pread", path_);
    }
    if (r == 0) break;  // end of file
    got += static_cast<size_t>(r);
  }
  return got;
}

Napi::Value ShmBackend::Read(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  off_t off = ArgOff(info, 0);
  size_t len = static_cast<size_t>(ArgOff(info, 1));
  Napi::Buffer<uint8_t> buf = Napi::Buffer<uint8_t>::New(env, len);
  size_t got = ReadFull(env, buf.Data(), len, off);
  if (got == len) return buf;
  return Napi::Buffer<uint8_t>::Copy(env, buf.Data(), got);
}

// Holes read as zeros by definition. SEEK_DATA once per 2 MiB window (the
// smallest virtio-mem block) skips the unplugged blocks; a window with data
// is read whole, its holes as zeros (pread of a shmem hole allocates
// nothing). Collecting exact extents first (SEEK_HOLE walks every page of a
// populated range) cost 1.2 ms per 256 MiB, about 3 % of the scan.
Napi::Value ShmBackend::FindNonZero(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  off_t pos = ArgOff(info, 0);
  off_t stop = pos + ArgOff(info, 1);
  constexpr off_t kWindow = 2 << 20;
  uint8_t* scratch = Scratch();
  while (pos < stop) {
    off_t data = NextData(env, pos, stop);
    if (data < 0) break;
    pos = data;
    off_t window_end = std::min<off_t>(stop, (pos / kWindow + 1) * kWindow);
    while (pos < window_end) {
      size_t want = static_cast<size_t>(std::min<off_t>(window_end - pos, kChunk));
      size_t got = ReadFull(env, scratch, want, pos);
      ssize_t hit = FirstNonZero(scratch, got);
      if (hit >= 0) return Napi::Number::New(env, static_cast<double>(pos + hit));
      if (got < want) return Napi::Number::New(env, -1);  // file shrank under us
      pos += static_cast<off_t>(got);
    }
  }
  return Napi::Number::New(env, -1);
}

Napi::Value ShmBackend::Digest(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  off_t pos = ArgOff(info, 0);
  off_t end = pos + ArgOff(info, 1);
  Xxh64 hash;
  uint8_t* scratch = Scratch();
  while (pos < end) {
    size_t want = static_cast<size_t>(std::min<off_t>(end - pos, kChunk));
    size_t got = ReadFull(env, scratch, want, pos);
    hash.Update(scratch, got);
    if (got < want) break;
    pos += static_cast<off_t>(got);
  }
  return Napi::BigInt::New(env, static_cast<uint64_t>(hash.Digest()));
}

Napi::Value ShmBackend::Write(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  off_t off = ArgOff(info, 0);
  if (info.Length() < 2 || !info[1].IsTypedArray()) {
    throw Napi::TypeError::New(env, "write(offset, data: Uint8Array)");
  }
  Napi::Uint8Array data = info[1].As<Napi::Uint8Array>();
  size_t put = 0;
  while (put < data.ByteLength()) {
    ssize_t w = pwrite(fd_, data.Data() + put, data.ByteLength() - put,
                       off + static_cast<off_t>(put));
    if (w < 0) {
      if (errno == EINTR) continue;
      throw MakeNativeError(env, errno, "pwrite", path_);
    }
    put += static_cast<size_t>(w);
  }
  return Napi::Number::New(env, static_cast<double>(put));
}

Napi::Value ShmBackend::Close(const Napi::CallbackInfo& info) {
  if (fd_ >= 0) {
    int fd = fd_;
    fd_ = -1;
    // Linux releases the descriptor even when close reports an error, so
    // there is nothing to retry; report it anyway (EIO would mean lost data).
    if (::close(fd) < 0 && errno != EINTR) {
      throw MakeNativeError(info.Env(), errno, "close", path_);
    }
  }
  return info.Env().Undefined();
}

}  // namespace devmem
