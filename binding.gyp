{
  # One addon, devmem_lab.node: the QMP socket transport and the host view of
  # the virtio-mem backend file. Policy lives in src/; see src/native/binding.ts.
  "targets": [
    {
      "target_name": "devmem_lab",
      "sources": [
        "native/addon.cc",
        "native/native_error.cc",
        "native/qmp_transport.cc",
        "native/shm_backend.cc"
      ],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      # C++ exceptions let node-addon-api turn a pending JS exception into a
      # C++ throw, so error paths stay linear instead of checking every call.
      "defines": ["NAPI_VERSION=8", "NAPI_CPP_EXCEPTIONS", "_FILE_OFFSET_BITS=64"],
      "cflags!": ["-fno-exceptions"],
      "cflags_cc!": ["-fno-exceptions"],
      "cflags_cc": ["-std=c++17", "-Wall", "-Wextra", "-O2"]
    }
  ]
}
