# node-gyp build of the addon (`npm install`): compiles the addon, the C API
# shim and the C++ core together, against this machine's Node headers (see
# scripts/build.js), and links Abseil from the system.
{
  "targets": [
    {
      "target_name": "codesync",
      "sources": [
        "src/addon.cc",
        "<!@(node scripts/sources.js --sources)"
      ],
      "include_dirs": [
        "<!(node -p \"require('node-addon-api').include_dir\")",
        "../../include",
        "../../lib",
        "generated",
        "../.."
      ],
      "defines": ["NAPI_VERSION=8", "NAPI_CPP_EXCEPTIONS"],
      "cflags!": ["-fno-exceptions"],
      "cflags_cc!": ["-fno-exceptions", "-fno-rtti", "-std=gnu++17"],
      "cflags_cc": ["-std=c++20", "-fexceptions", "-frtti", "-fvisibility=hidden", "-Wno-unused-parameter"],
      "libraries": ["<!@(node scripts/sources.js --libs)"]
    }
  ]
}
