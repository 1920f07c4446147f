// The storage behind the beam search: the prefix tree (one node per label sequence that is in the beam or
// is an ancestor of one) and the timestep lists (persistent singly linked lists that share their tails).
// Both live in index-addressed pools with free lists, so a search allocates only while its high-water mark
// grows and nothing per frame in steady state. Nodes are reference counted: a prefix node is held by the
// beam and by each of its live children; a timestep node by its prefix and by longer lists sharing it.
#pragma once

#include <cstdint>
#include <limits>
#include <vector>

#include "pyds/scorer.hpp"

namespace pyds::decoder {

using NodeId = std::int32_t;
constexpr NodeId kNone = -1;
constexpr unsigned kRootLabel = std::numeric_limits<unsigned>::max();  // sorts after every label, as in DS

struct PrefixNode {
  NodeId parent = kNone;
  unsigned label = kRootLabel;
  NodeId first_child = kNone;
  NodeId next_sibling = kNone;
  std::int32_t refs = 0;
  NodeId timesteps = kNone;               // head of this prefix's timestep list (kNone: empty)
  Scorer::TrieState trie_state = Scorer::kNoState;
  std::int32_t slot = -1;                 // index in the current beam, or -1
  // The LM term (alpha * (ln P + hot boosts)) of this prefix's last unit, once computed: it depends only on
  // the label path, so it is computed once per node rather than once per frame. NaN = not yet.
  float lm_term = std::numeric_limits<float>::quiet_NaN();
};

struct TimestepNode {
  unsigned frame = 0;
  NodeId parent = kNone;  // the previous label's timestep
  std::int32_t refs = 0;
};

// A slot for a new node: the most recently freed one, else a new one at the end (the pool's only growth).
template <typename Node>
NodeId take_slot(std::vector<Node>& nodes, std::vector<NodeId>& free) {
  if (!free.empty()) {
    const NodeId id = free.back();
    free.pop_back();
    return id;
  }
  nodes.emplace_back();
  return static_cast<NodeId>(nodes.size() - 1);
}

class TimestepPool {
 public:
  void clear() {
    nodes_.clear();
    free_.clear();
  }
  // A new list = `tail` + [frame]; the result holds one reference (the caller's).
  NodeId push(NodeId tail, unsigned frame) {
    const NodeId id = take_slot(nodes_, free_);
    nodes_[id] = TimestepNode{frame, tail, 1};
    if (tail != kNone) ++nodes_[tail].refs;
    return id;
  }
  void retain(NodeId id) {
    if (id != kNone) ++nodes_[id].refs;
  }
  void release(NodeId id) {
    while (id != kNone && --nodes_[id].refs == 0) {
      free_.push_back(id);
      id = nodes_[id].parent;
    }
  }
  const TimestepNode& operator[](NodeId id) const { return nodes_[id]; }

 private:
  std::vector<TimestepNode> nodes_;
  std::vector<NodeId> free_;
};

class PrefixPool {
 public:
  // Empties the pool and creates the root (id 0), held permanently.
  NodeId reset(Scorer::TrieState root_state) {
    nodes_.clear();
    free_.clear();
    nodes_.emplace_back();
    nodes_[0].refs = 1;
    nodes_[0].trie_state = root_state;
    return 0;
  }

  PrefixNode& operator[](NodeId id) { return nodes_[id]; }
  const PrefixNode& operator[](NodeId id) const { return nodes_[id]; }

  // The child of `parent` with `label`, or kNone. Children lists are short (at most the labels that were
  // ever in the beam after this prefix and are still alive).
  NodeId find_child(NodeId parent, unsigned label) const {
    for (NodeId c = nodes_[parent].first_child; c != kNone; c = nodes_[c].next_sibling)
      if (nodes_[c].label == label) return c;
    return kNone;
  }

  // A new child with zero references of its own; it holds one on its parent.
  NodeId add_child(NodeId parent, unsigned label, Scorer::TrieState state) {
    const NodeId id = take_slot(nodes_, free_);
    PrefixNode& n = nodes_[id];
    n = PrefixNode{};
    n.parent = parent;
    n.label = label;
    n.trie_state = state;
    n.next_sibling = nodes_[parent].first_child;
    nodes_[parent].first_child = id;
    ++nodes_[parent].refs;
    return id;
  }

  // Drops one reference; frees nodes whose count reaches zero, up the ancestry, and hands their timestep
  // lists back to `timesteps`.
  void release(NodeId id, TimestepPool& timesteps) {
    while (id != kNone && --nodes_[id].refs == 0) {
      PrefixNode& n = nodes_[id];
      const NodeId parent = n.parent;
      unlink(parent, id);
      timesteps.release(n.timesteps);
      n.timesteps = kNone;
      free_.push_back(id);
      id = parent;
    }
  }

 private:
  void unlink(NodeId parent, NodeId child) {
    NodeId* link = &nodes_[parent].first_child;
    while (*link != child) link = &nodes_[*link].next_sibling;
    *link = nodes_[child].next_sibling;
  }

  std::vector<PrefixNode> nodes_;
  std::vector<NodeId> free_;
};

}  // namespace pyds::decoder
