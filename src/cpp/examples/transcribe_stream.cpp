// Streaming transcription of a WAV file with the pyds C++ API: feeds half a second at a time, as a live
// source would, and prints the partial result after each chunk and the final one at the end.
//
//   transcribe_stream BUNDLE_DIR FILE.wav [BEAM_WIDTH]
//
// BUNDLE_DIR is a pyds-convert output; FILE.wav 16-bit mono PCM at the model's rate. Build against the
// installed package: find_package(pyds CONFIG) with pyds_DIR=$(python -c "import pyds; print(pyds.get_cmake_dir())").
#include <pyds/errors.hpp>
#include <pyds/model.hpp>
#include <pyds/stream.hpp>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <iterator>
#include <string>
#include <vector>

namespace {

// The samples of a 16-bit PCM WAV file's "data" chunk (no format conversion: that is the caller's job).
std::vector<std::int16_t> read_wav(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  const std::vector<char> bytes((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
  if (bytes.size() < 12 || std::memcmp(bytes.data(), "RIFF", 4) != 0 || std::memcmp(bytes.data() + 8, "WAVE", 4) != 0)
    throw pyds::Error(pyds::ErrorKind::InvalidAudio, path + ": not a RIFF/WAVE file");
  std::size_t at = 12;
  while (at + 8 <= bytes.size()) {
    const auto* p = reinterpret_cast<const unsigned char*>(bytes.data() + at);
    const std::size_t size = p[4] | p[5] << 8 | p[6] << 16 | static_cast<std::size_t>(p[7]) << 24;
    if (std::memcmp(p, "data", 4) == 0) {
      const std::size_t n = std::min(size, bytes.size() - at - 8) / 2;
      std::vector<std::int16_t> samples(n);
      std::memcpy(samples.data(), bytes.data() + at + 8, n * 2);
      return samples;
    }
    at += 8 + size + (size & 1);
  }
  throw pyds::Error(pyds::ErrorKind::InvalidAudio, path + ": no data chunk");
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::cerr << "usage: " << argv[0] << " BUNDLE_DIR FILE.wav [BEAM_WIDTH]\n";
    return 2;
  }
  try {
    pyds::ModelOptions options;
    if (argc > 3) options.beam_width = static_cast<std::size_t>(std::atoi(argv[3]));
    const auto model = pyds::Model::load(argv[1], options);
    const std::vector<std::int16_t> samples = read_wav(argv[2]);

    auto stream = model->create_stream();
    const std::size_t chunk = static_cast<std::size_t>(model->sample_rate()) / 2;
    for (std::size_t at = 0; at < samples.size(); at += chunk) {
      const std::size_t n = std::min(chunk, samples.size() - at);
      stream->feed_audio(pyds::SampleView::of(samples.data() + at, n));
      const auto partial = stream->intermediate_decode(1);
      std::cout << "partial: " << (partial.empty() ? std::string() : partial[0].text) << '\n';
    }
    const auto final = stream->finish(1);
    std::cout << "final: " << (final.empty() ? std::string() : final[0].text) << std::endl;
    return 0;
  } catch (const pyds::Error& e) {
    std::cerr << "error: " << e.what() << '\n';
    return 1;
  }
}
