#include "lm/vocab_trie.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <unordered_map>

namespace pyds::lm {

namespace {

constexpr std::int32_t kFstMagic = 2125659606;
constexpr std::int32_t kFlagIsAligned = 0x4;
constexpr std::uint64_t kStateBytes = 20, kArcBytes = 16;

// OpenFST property bits (properties.h) the scorer tries carry.
constexpr std::uint64_t kExpanded = 0x1, kAcceptor = 0x10000, kIDeterministic = 0x40000, kODeterministic = 0x100000,
                        kNoEpsilons = 0x800000, kNoIEpsilons = 0x2000000, kNoOEpsilons = 0x8000000,
                        kILabelSorted = 0x10000000, kOLabelSorted = 0x40000000, kUnweighted = 0x200000000ULL,
                        kAcyclic = 0x800000000ULL, kInitialAcyclic = 0x2000000000ULL, kTopSorted = 0x4000000000ULL,
                        kNotTopSorted = 0x8000000000ULL, kAccessible = 0x10000000000ULL,
                        kCoAccessible = 0x40000000000ULL, kString = 0x100000000000ULL, kNotString = 0x200000000000ULL,
                        kUnweightedCycles = 0x800000000000ULL;

std::uint64_t align16(std::uint64_t v) { return (v + 15) & ~std::uint64_t(15); }

std::string read_fst_string(const ByteView& v, std::uint64_t& at, const char* field) {
  const std::int32_t len = v.read<std::int32_t>(at, field);
  if (len < 0 || len > 256) v.fail(std::string("vocabulary trie: bad ") + field + " length");
  v.require(at + 4, static_cast<std::uint64_t>(len), field);
  std::string s(reinterpret_cast<const char*>(v.data() + at + 4), static_cast<std::size_t>(len));
  at += 4 + static_cast<std::uint64_t>(len);
  return s;
}

template <typename T>
void append(std::string& out, const T& value) {
  out.append(reinterpret_cast<const char*>(&value), sizeof(T));
}

void append_string(std::string& out, const std::string& s) {
  append(out, static_cast<std::int32_t>(s.size()));
  out += s;
}

template <typename T>
T load(const std::uint8_t* p) {
  T value;
  std::memcpy(&value, p, sizeof(T));
  return value;
}

}  // namespace

VocabTrie VocabTrie::read(const ByteView& v, std::uint64_t offset, unsigned max_label) {
  std::uint64_t at = offset;
  if (v.read<std::int32_t>(at, "vocabulary trie magic") != kFstMagic) v.fail("vocabulary trie: not an OpenFST file");
  at += 4;
  const std::string fst_type = read_fst_string(v, at, "FST type");
  const std::string arc_type = read_fst_string(v, at, "arc type");
  if (fst_type != "const")
    v.fail("vocabulary trie: FST type '" + printable(fst_type) + "' is not supported (expected const)");
  if (arc_type != "standard") v.fail("vocabulary trie: arc type '" + printable(arc_type) + "' is not supported");
  const std::int32_t version = v.read<std::int32_t>(at, "FST version");
  const std::int32_t flags = v.read<std::int32_t>(at + 4, "FST flags");
  VocabTrie t;
  t.properties_ = v.read<std::uint64_t>(at + 8, "FST properties");
  t.start_ = v.read<std::int64_t>(at + 16, "FST start");
  t.num_states_ = v.read<std::int64_t>(at + 24, "FST state count");
  t.num_arcs_ = v.read<std::int64_t>(at + 32, "FST arc count");
  at += 40;
  if (version != 1 && version != 2) v.fail("vocabulary trie: unsupported ConstFst version " + std::to_string(version));
  if (flags & 0x3) v.fail("vocabulary trie: FSTs with symbol tables are not supported");
  const bool aligned = (flags & kFlagIsAligned) != 0;
  if (t.num_states_ <= 0 || t.num_arcs_ < 0) v.fail("vocabulary trie: empty or negative size");
  if (t.start_ < 0 || t.start_ >= t.num_states_) v.fail("vocabulary trie: start state out of range");
  if (aligned) at = align16(at);
  const std::uint64_t states_size = checked_mul(static_cast<std::uint64_t>(t.num_states_), kStateBytes, "trie states");
  v.require(at, states_size, "vocabulary trie states");
  t.states_ = v.data() + at;
  at += states_size;
  if (aligned) at = align16(at);
  const std::uint64_t arcs_size = checked_mul(static_cast<std::uint64_t>(t.num_arcs_), kArcBytes, "trie arcs");
  v.require(at, arcs_size, "vocabulary trie arcs");
  t.arcs_ = v.data() + at;

  // One pass over states and arcs: arcs are stored contiguously in state order, ilabel-sorted, in range.
  std::uint64_t expected_first = 0;
  for (std::int64_t s = 0; s < t.num_states_; ++s) {
    const std::uint8_t* st = t.states_ + kStateBytes * static_cast<std::uint64_t>(s);
    const std::uint32_t first = load<std::uint32_t>(st + 4), narcs = load<std::uint32_t>(st + 8);
    if (first != expected_first || static_cast<std::uint64_t>(first) + narcs > static_cast<std::uint64_t>(t.num_arcs_))
      v.fail("vocabulary trie: state " + std::to_string(s) + " has arcs out of range");
    expected_first += narcs;
    std::int64_t previous = 0;
    for (std::uint32_t a = 0; a < narcs; ++a) {
      const std::uint8_t* arc = t.arcs_ + kArcBytes * (static_cast<std::uint64_t>(first) + a);
      const std::int32_t ilabel = load<std::int32_t>(arc);
      const std::int32_t next = load<std::int32_t>(arc + 12);
      if (ilabel < 1 || static_cast<std::uint32_t>(ilabel) > max_label)
        v.fail("vocabulary trie: label " + std::to_string(static_cast<std::int64_t>(ilabel) - 1) +
               " is outside the model alphabet (the scorer was built for another alphabet)");
      if (ilabel <= previous) v.fail("vocabulary trie: arcs are not sorted (not a deterministic trie)");
      previous = ilabel;
      if (next < 0 || next >= t.num_states_) v.fail("vocabulary trie: arc target out of range");
    }
  }
  if (expected_first != static_cast<std::uint64_t>(t.num_arcs_)) v.fail("vocabulary trie: arc count mismatch");
  return t;
}

std::int64_t VocabTrie::next(std::int64_t state, unsigned arc_label) const {
  if (state < 0 || state >= num_states_) return -1;
  const std::uint8_t* st = states_ + kStateBytes * static_cast<std::uint64_t>(state);
  std::uint64_t lo = load<std::uint32_t>(st + 4);
  std::uint64_t hi = lo + load<std::uint32_t>(st + 8);
  const std::int64_t want = arc_label;
  while (lo < hi) {
    const std::uint64_t mid = lo + (hi - lo) / 2;
    const std::int32_t label = load<std::int32_t>(arcs_ + kArcBytes * mid);
    if (label < want) lo = mid + 1;
    else if (label > want) hi = mid;
    else return load<std::int32_t>(arcs_ + kArcBytes * mid + 12);
  }
  return -1;
}

bool VocabTrie::is_final(std::int64_t state) const {
  if (state < 0 || state >= num_states_) return false;
  const float weight = load<float>(states_ + kStateBytes * static_cast<std::uint64_t>(state));
  return weight != std::numeric_limits<float>::infinity();  // TropicalWeight::Zero() marks non-final
}

VocabTrie VocabTrie::build(const std::vector<std::string>& words, const Alphabet& alphabet, bool utf8_mode) {
  // Label sequences (arc labels = alphabet label + 1), sorted and unique.
  std::vector<std::vector<std::uint32_t>> seqs;
  std::vector<std::string> unspellable;
  std::size_t unspellable_count = 0;
  if (!utf8_mode && alphabet.space_label() < 0)
    throw_error(ErrorKind::InvalidScorer, "the alphabet has no space label, which a word-mode scorer needs");
  for (const std::string& w : words) {
    if (w.empty() || w == "<s>" || w == "</s>" || w == "<unk>") continue;
    std::vector<std::uint32_t> seq;
    if (utf8_mode) {
      for (unsigned char c : w) seq.push_back(c);  // label c - 1, arc label c
    } else {
      try {
        for (unsigned label : alphabet.encode(w)) seq.push_back(label + 1);
      } catch (const Error&) {
        if (unspellable.size() < 5) unspellable.push_back(w);
        ++unspellable_count;
        continue;
      }
      seq.push_back(static_cast<std::uint32_t>(alphabet.space_label()) + 1);
    }
    seqs.push_back(std::move(seq));
  }
  if (unspellable_count != 0) {
    std::string examples;
    for (const auto& w : unspellable) examples += (examples.empty() ? "'" : ", '") + printable(w) + "'";
    throw_error(ErrorKind::InvalidScorer, std::to_string(unspellable_count) +
                                              " vocabulary word(s) cannot be spelled with the model alphabet, e.g. " +
                                              examples);
  }
  if (seqs.empty()) throw_error(ErrorKind::InvalidScorer, "the scorer vocabulary is empty");
  std::sort(seqs.begin(), seqs.end());
  seqs.erase(std::unique(seqs.begin(), seqs.end()), seqs.end());

  // Prefix tree; children always get larger ids than their parents.
  struct Node {
    bool final = false;
    std::vector<std::pair<std::uint32_t, std::uint32_t>> arcs;  // sorted: words are inserted in order
  };
  std::vector<Node> nodes(1);
  for (const auto& seq : seqs) {
    std::uint32_t at = 0;
    for (std::uint32_t label : seq) {
      auto& arcs = nodes[at].arcs;
      if (!arcs.empty() && arcs.back().first == label) {
        at = arcs.back().second;
      } else {
        arcs.emplace_back(label, static_cast<std::uint32_t>(nodes.size()));
        at = static_cast<std::uint32_t>(nodes.size());
        nodes.emplace_back();
      }
    }
    nodes[at].final = true;
  }
  // Minimise: merge nodes with equal finality and equal (label, merged child) arcs, children first.
  std::vector<std::uint32_t> canon(nodes.size());
  std::unordered_map<std::string, std::uint32_t> registry;
  std::vector<std::uint32_t> reps;  // canonical node ids in order of registration
  for (std::size_t i = nodes.size(); i-- > 0;) {
    std::string sig(1, nodes[i].final ? '\1' : '\0');
    for (auto& arc : nodes[i].arcs) {
      arc.second = canon[arc.second];
      sig.append(reinterpret_cast<const char*>(&arc.first), 4);
      sig.append(reinterpret_cast<const char*>(&arc.second), 4);
    }
    auto it = registry.emplace(std::move(sig), static_cast<std::uint32_t>(i));
    canon[i] = it.first->second;
  }
  // Number the minimal states breadth-first from the start state.
  std::vector<std::int64_t> id(nodes.size(), -1);
  std::vector<std::uint32_t> order{0};
  id[0] = 0;
  for (std::size_t k = 0; k < order.size(); ++k) {
    for (const auto& arc : nodes[order[k]].arcs) {
      if (id[arc.second] < 0) {
        id[arc.second] = static_cast<std::int64_t>(order.size());
        order.push_back(arc.second);
      }
    }
  }
  std::uint64_t num_arcs = 0;
  for (std::uint32_t n : order) num_arcs += nodes[n].arcs.size();
  if (order.size() >= (1ULL << 31) || num_arcs >= (1ULL << 32))
    throw_error(ErrorKind::InvalidScorer, "the vocabulary trie is too large for a ConstFst");

  VocabTrie t;
  t.owned_ = std::make_shared<std::vector<std::uint8_t>>(kStateBytes * order.size() + kArcBytes * num_arcs);
  std::uint8_t* states = t.owned_->data();
  std::uint8_t* arcs = states + kStateBytes * order.size();
  bool top_sorted = true, single_path = true;
  std::uint32_t first = 0;
  for (std::size_t k = 0; k < order.size(); ++k) {
    const Node& n = nodes[order[k]];
    const float final = n.final ? 0.0f : std::numeric_limits<float>::infinity();
    const std::uint32_t narcs = static_cast<std::uint32_t>(n.arcs.size()), zero = 0;
    std::memcpy(states + kStateBytes * k, &final, 4);
    std::memcpy(states + kStateBytes * k + 4, &first, 4);
    std::memcpy(states + kStateBytes * k + 8, &narcs, 4);
    std::memcpy(states + kStateBytes * k + 12, &zero, 4);
    std::memcpy(states + kStateBytes * k + 16, &zero, 4);
    if (narcs > 1 || (n.final && narcs > 0)) single_path = false;
    for (const auto& arc : n.arcs) {
      const std::int32_t label = static_cast<std::int32_t>(arc.first);
      const std::int32_t next = static_cast<std::int32_t>(id[arc.second]);
      const float weight = 0.0f;
      std::uint8_t* a = arcs + kArcBytes * first;
      std::memcpy(a, &label, 4);
      std::memcpy(a + 4, &label, 4);
      std::memcpy(a + 8, &weight, 4);
      std::memcpy(a + 12, &next, 4);
      if (next <= static_cast<std::int32_t>(k)) top_sorted = false;
      ++first;
    }
  }
  t.states_ = states;
  t.arcs_ = arcs;
  t.start_ = 0;
  t.num_states_ = static_cast<std::int64_t>(order.size());
  t.num_arcs_ = static_cast<std::int64_t>(num_arcs);
  t.properties_ = kExpanded | kAcceptor | kIDeterministic | kODeterministic | kNoEpsilons | kNoIEpsilons |
                  kNoOEpsilons | kILabelSorted | kOLabelSorted | kUnweighted | kAcyclic | kInitialAcyclic |
                  (top_sorted ? kTopSorted : kNotTopSorted) | kAccessible | kCoAccessible |
                  (single_path ? kString : kNotString) | kUnweightedCycles;
  return t;
}

void VocabTrie::write(std::string& out) const {
  append(out, kFstMagic);
  append_string(out, "const");
  append_string(out, "standard");
  append(out, std::int32_t(1));  // kAlignedFileVersion
  append(out, kFlagIsAligned);
  append(out, properties_);
  append(out, static_cast<std::int64_t>(start_));
  append(out, static_cast<std::int64_t>(num_states_));
  append(out, static_cast<std::int64_t>(num_arcs_));
  out.resize(align16(out.size()), '\0');
  out.append(reinterpret_cast<const char*>(states_), kStateBytes * static_cast<std::uint64_t>(num_states_));
  out.resize(align16(out.size()), '\0');
  out.append(reinterpret_cast<const char*>(arcs_), kArcBytes * static_cast<std::uint64_t>(num_arcs_));
}

}  // namespace pyds::lm
