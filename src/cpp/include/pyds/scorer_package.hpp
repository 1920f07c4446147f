// Packaging a DeepSpeech `.scorer`: a KenLM binary (or an ARPA file, converted to a KenLM probing binary),
// followed by the scorer header (magic, version 6, UTF-8 flag, default alpha/beta) and the vocabulary trie as
// an OpenFST ConstFst — the layout DeepSpeech's generate_scorer_package writes and Scorer::load reads.
#pragma once

#include <string>

#include "pyds/alphabet.hpp"

namespace pyds {

struct ScorerPackageOptions {
  double default_alpha = 0.931289039105002;  // DeepSpeech 0.9's released-model defaults
  double default_beta = 1.1834137581510284;
};

// Writes `output_path` atomically (a temporary file in the same folder, renamed into place). The trie holds
// the words of `vocabulary_path` (whitespace separated), or the LM's own words when it is empty. UTF-8 mode
// follows `alphabet.is_utf8()`. Throws InvalidScorer for unreadable inputs or words the alphabet cannot spell.
void write_scorer_package(const std::string& lm_path, const std::string& vocabulary_path, const Alphabet& alphabet,
                          const ScorerPackageOptions& options, const std::string& output_path);

}  // namespace pyds
