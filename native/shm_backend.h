// Host view of a virtio-mem device's memory: the memory-backend-file QEMU
// shares with the guest. Every access is pread/pwrite/lseek on the file,
// never a mapping: reading a hole through a shmem mapping allocates a page,
// which would make the host itself populate memory the guest has unplugged.
#ifndef DEVMEM_LAB_SHM_BACKEND_H_
#define DEVMEM_LAB_SHM_BACKEND_H_

#include <napi.h>

#include <cstdlib>
#include <memory>
#include <string>
#include <sys/types.h>
#include <vector>

namespace devmem {

class ShmBackend : public Napi::ObjectWrap<ShmBackend> {
 public:
  static Napi::Function Init(Napi::Env env);

  // new ShmBackend(path, writable)
  explicit ShmBackend(const Napi::CallbackInfo& info);
  ~ShmBackend() override;

 private:
  Napi::Value Size(const Napi::CallbackInfo& info);
  Napi::Value Extents(const Napi::CallbackInfo& info);
  Napi::Value Read(const Napi::CallbackInfo& info);
  Napi::Value FindNonZero(const Napi::CallbackInfo& info);
  Napi::Value Digest(const Napi::CallbackInfo& info);
  Napi::Value Write(const Napi::CallbackInfo& info);
  Napi::Value Close(const Napi::CallbackInfo& info);

  // Appends [start, length] pairs of populated ranges within [off, end).
  off_t NextData(Napi::Env env, off_t off, off_t end);
  void CollectExtents(Napi::Env env, off_t off, off_t end, std::vector<off_t>* out);
  // pread until `n` bytes or end of file; throws on error.
  size_t ReadFull(Napi::Env env, uint8_t* buf, size_t n, off_t off);
  uint8_t* Scratch();

  int fd_ = -1;
  std::string path_;
  // Reused across calls so scans do not allocate per chunk; page-aligned,
  // so the kernel's copy out of the page cache stores whole aligned lines.
  struct FreeDeleter {
    void operator()(uint8_t* p) const { std::free(p); }
  };
  std::unique_ptr<uint8_t, FreeDeleter> scratch_;
};

}  // namespace devmem

#endif  // DEVMEM_LAB_SHM_BACKEND_H_
