// KenLM binary format version 5, read in place from a memory mapping: the header, the vocabulary (sorted hash
// array for trie models, probing hash table for probing models) and the search structure (probing hash tables,
// or the bit-packed reverse trie with optional quantization and Bhiksha pointer compression). Nothing is
// parsed beyond the header at load; each query reads the few bytes it needs, bounds-checked.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "lm/mapped_file.hpp"
#include "lm/ngram_model.hpp"

namespace pyds::lm {

struct KenlmHeader {
  unsigned order = 0;
  float probing_multiplier = 1.5f;
  int model_type = 0;  // 0 probing, 1 rest probing, 2 trie, 3 quant trie, 4 array trie, 5 quant array trie
  bool has_vocabulary = false;
  std::uint32_t search_version = 0;
  std::vector<std::uint64_t> counts;
  std::uint64_t header_size = 0;
};

// True when the bytes start with KenLM's binary magic (any version, or the "incomplete build" marker).
bool looks_like_kenlm_binary(const ByteView& bytes);

// Opens a KenLM binary that starts at offset 0 of `bytes` (the whole file, or the head of a .scorer).
// `file` keeps the mapping alive. end_offset() is where the binary ends (after its vocabulary strings if any).
std::unique_ptr<NgramModel> open_kenlm_binary(std::shared_ptr<const MappedFile> file, const ByteView& bytes,
                                              std::uint64_t& end_of_search, std::uint64_t& end_offset);

KenlmHeader read_kenlm_header(const ByteView& bytes);

}  // namespace pyds::lm
