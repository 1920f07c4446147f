// DeepSpeech's vocabulary trie: a deterministic acceptor over alphabet labels + 1, stored as an OpenFST
// ConstFst<StdArc> (uint32 indices). Read in place from a mapping (validated once at load), or built in memory
// from a word list; either way it can be written back in OpenFST's binary layout.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "lm/mapped_file.hpp"
#include "pyds/alphabet.hpp"

namespace pyds::lm {

class VocabTrie {
 public:
  // Reads a ConstFst whose header starts at `offset` of `file` (alignment counts from the file start). Every
  // state, arc and label is checked: arcs must stay inside the FST and carry labels 1..max_label.
  static VocabTrie read(const ByteView& file, std::uint64_t offset, unsigned max_label);
  // The trie of `words`: in word mode each word's labels followed by the space label, in UTF-8 mode its bytes.
  // Throws InvalidScorer naming words the alphabet cannot spell. Minimised (shared suffixes).
  static VocabTrie build(const std::vector<std::string>& words, const Alphabet& alphabet, bool utf8_mode);

  std::int64_t start() const { return start_; }
  std::int64_t num_states() const { return num_states_; }
  std::int64_t num_arcs() const { return num_arcs_; }
  std::int64_t next(std::int64_t state, unsigned arc_label) const;  // -1 when there is no such arc
  bool is_final(std::int64_t state) const;

  // Appends the ConstFst (header, states, arcs) to `out`, aligning as OpenFST does relative to out.size().
  void write(std::string& out) const;

 private:
  const std::uint8_t* states_ = nullptr;  // num_states x 20 bytes: float final, uint32 first arc, narcs, 2 x eps
  const std::uint8_t* arcs_ = nullptr;    // num_arcs x 16 bytes: int32 ilabel, olabel, float weight, int32 next
  std::int64_t start_ = -1, num_states_ = 0, num_arcs_ = 0;
  std::uint64_t properties_ = 0;
  std::shared_ptr<std::vector<std::uint8_t>> owned_;  // storage of a built trie
};

}  // namespace pyds::lm
