{
  "targets": [
    {
      "target_name": "specml_native",
      "sources": ["<!@(node native/sources.mjs)"],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      "defines": ["NAPI_VERSION=8", "NAPI_CPP_EXCEPTIONS"],
      "cflags!": ["-fno-exceptions"],
      "cflags_cc!": ["-fno-exceptions"],
      "cflags_cc": ["-std=c++17", "-O3", "-march=native", "-fno-math-errno", "-Wall", "-Wextra", "-Wno-unused-parameter"]
    }
  ]
}
