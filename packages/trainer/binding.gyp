{
  "targets": [
    {
      "target_name": "specml_native",
      "sources": [
        "native/addon.cc",
        "native/network.cc",
        "native/layer.cc",
        "native/activation.cc",
        "native/gemm.cc",
        "native/parallel.cc",
        "native/layers/dense.cc",
        "native/layers/conv2d.cc",
        "native/layers/max_pooling2d.cc",
        "native/layers/flatten.cc",
        "native/layers/dropout.cc",
        "native/layers/batch_normalization.cc",
        "native/optim/sgd.cc",
        "native/optim/momentum.cc",
        "native/optim/adam.cc",
        "native/optim/rmsprop.cc",
        "native/optim/adagrad.cc"
      ],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      "defines": ["NAPI_VERSION=8", "NAPI_CPP_EXCEPTIONS"],
      "cflags!": ["-fno-exceptions"],
      "cflags_cc!": ["-fno-exceptions"],
      "cflags_cc": ["-std=c++17", "-O3", "-march=native", "-fno-math-errno", "-Wall", "-Wextra", "-Wno-unused-parameter"]
    }
  ]
}
