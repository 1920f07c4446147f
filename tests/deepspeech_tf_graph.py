"""Builds small DeepSpeech-0.8-style frozen TensorFlow graphs for the converter tests (needs TensorFlow).

The topology is the one DeepSpeech's ``create_inference_graph`` exports (written here from the fact sheet and
the TF op definitions, not copied): ``input_node`` [1,16,19,26] -> transpose/reshape [-1, 494] -> three dense
layers with ReLU clipped at 20 -> BlockLSTM under ``cudnn_lstm/rnn/multi_rnn_cell/cell_0/
cudnn_compatible_lstm_cell`` with LSTMBlockWrapper's sequence-length masking and ``GatherNd`` final states ->
layer 5 -> layer 6 -> softmax ``logits``; the MFCC branch ``input_samples`` -> AudioSpectrogram -> Mfcc ->
``mfccs``; and the ``metadata_*`` constants. Only the width (``n_hidden``) and the class count are small.

``state`` picks where the recurrent state lives: ``"placeholder"`` (DeepSpeech >= 0.6), ``"variable"``
(VariableV2 plus Assign ops that run with ``logits``, as DeepSpeech 0.5 did) or ``"resource"`` (resource
variables: VarHandleOp / ReadVariableOp / AssignVariableOp).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

CELL_SCOPE = "cudnn_lstm/rnn/multi_rnn_cell/cell_0/cudnn_compatible_lstm_cell"
N_INPUT = 26
N_CONTEXT = 9
N_STEPS = 16
WINDOW = 2 * N_CONTEXT + 1


def serialize_alphabet(labels: list[str] | list[bytes]) -> bytes:
    """The ``metadata_alphabet`` serialization: uint16 count, then (uint16 index, uint16 length, bytes).

    ``bytes`` labels are written as they are (bytes mode: label i is the byte i+1).
    """
    out = struct.pack("<H", len(labels))
    for i, label in enumerate(labels):
        raw = label if isinstance(label, bytes) else label.encode("utf-8")
        out += struct.pack("<HH", i, len(raw)) + raw
    return out


@dataclass
class BuiltGraph:
    """A frozen graph on disk plus what the tests need to check a conversion of it."""

    path: Path
    state: str
    version: int
    labels: list[str]
    weights: dict[str, np.ndarray]  # the variable values, by checkpoint variable name
    checkpoint_dir: Path | None = None
    extra: dict = field(default_factory=dict)


def make_weights(n_hidden: int, n_classes: int, seed: int) -> dict[str, np.ndarray]:
    """Random weights with the DeepSpeech checkpoint variable names; scaled so no layer saturates."""
    rng = np.random.default_rng(seed)
    n_in1 = N_INPUT * WINDOW

    def dense(k: int, n: int) -> np.ndarray:
        return (rng.standard_normal((k, n)) * (1.5 / np.sqrt(k))).astype(np.float32)

    def bias(n: int) -> np.ndarray:
        return (rng.standard_normal(n) * 0.3).astype(np.float32)

    h = n_hidden
    return {
        "layer_1/weights": dense(n_in1, h),
        "layer_1/bias": bias(h),
        "layer_2/weights": dense(h, h),
        "layer_2/bias": bias(h),
        "layer_3/weights": dense(h, h),
        "layer_3/bias": bias(h),
        f"{CELL_SCOPE}/kernel": dense(2 * h, 4 * h),
        f"{CELL_SCOPE}/bias": bias(4 * h),
        "layer_5/weights": dense(h, h),
        "layer_5/bias": bias(h),
        "layer_6/weights": dense(h, n_classes),
        "layer_6/bias": bias(n_classes),
    }


def build_frozen_graph(
    path: Path,
    *,
    state: str = "placeholder",
    version: int = 6,
    n_hidden: int = 32,
    labels: list[str] | list[bytes] | None = None,
    seed: int = 0,
    forget_bias: float = 0.0,
    language: str | None = "en-US",
    beam_width: int = 500,
    checkpoint_dir: Path | None = None,
    lstm_op: str = "BlockLSTM",
) -> BuiltGraph:
    """Build, freeze and write a DeepSpeech-style graph to ``path``; optionally also save a checkpoint."""
    import tensorflow as tf

    v1 = tf.compat.v1
    labels = labels if labels is not None else [" ", "a", "b", "c"]
    n_classes = len(labels) + 1
    values = make_weights(n_hidden, n_classes, seed)
    h = n_hidden

    stored = dict(values)
    if lstm_op == "BlockLSTMV2":  # its gate blocks are (i, f, c~, o); BlockLSTM's are (i, c~, f, o)
        order = np.r_[0:h, 2 * h : 3 * h, h : 2 * h, 3 * h : 4 * h]
        stored[f"{CELL_SCOPE}/kernel"] = values[f"{CELL_SCOPE}/kernel"][:, order]
        stored[f"{CELL_SCOPE}/bias"] = values[f"{CELL_SCOPE}/bias"][order]

    graph = tf.Graph()
    with graph.as_default():
        variables = {
            name: v1.get_variable(name, initializer=tf.constant(value), use_resource=False)
            for name, value in stored.items()
        }
        input_node = v1.placeholder(tf.float32, [1, N_STEPS, WINDOW, N_INPUT], name="input_node")
        input_lengths = v1.placeholder(tf.int32, [1], name="input_lengths")
        state_updates = []
        if state == "placeholder":
            prev_c = v1.placeholder(tf.float32, [1, h], name="previous_state_c")
            prev_h = v1.placeholder(tf.float32, [1, h], name="previous_state_h")
        elif state in ("variable", "resource"):
            use_resource = state == "resource"
            zeros = tf.zeros([1, h], tf.float32)
            var_c = v1.get_variable("previous_state_c", initializer=zeros, use_resource=use_resource, trainable=False)
            var_h = v1.get_variable("previous_state_h", initializer=zeros, use_resource=use_resource, trainable=False)
            prev_c, prev_h = var_c.value(), var_h.value()
        else:
            raise ValueError(state)

        batch_size = tf.shape(input_node)[0]
        x = tf.transpose(input_node, [1, 0, 2, 3])
        x = tf.reshape(x, [-1, N_INPUT * WINDOW])

        def dense(name: str, inp, relu: bool = True):
            with v1.name_scope(name):
                out = tf.nn.bias_add(tf.matmul(inp, variables[f"{name}/weights"]), variables[f"{name}/bias"])
                if relu:
                    out = tf.minimum(tf.nn.relu(out), 20.0)
            return out

        x = dense("layer_1", x)
        x = dense("layer_2", x)
        x = dense("layer_3", x)
        x = tf.reshape(x, [-1, batch_size, h])
        with (
            v1.name_scope("cudnn_lstm/rnn/multi_rnn_cell/cell_0/"),
            v1.name_scope("cudnn_compatible_lstm_cell"),
        ):
            time_len = x.shape[0]
            max_len = tf.cast(tf.reduce_max(input_lengths), tf.int64)
            zeros_peep = tf.zeros([h], tf.float32)
            lstm_args = {
                "seq_len_max": max_len,
                "x": x,
                "cs_prev": prev_c,
                "h_prev": prev_h,
                "w": variables[f"{CELL_SCOPE}/kernel"],
                "wci": zeros_peep,
                "wcf": zeros_peep,
                "wco": zeros_peep,
                "b": variables[f"{CELL_SCOPE}/bias"],
                "cell_clip": -1.0,
                "use_peephole": False,
            }
            if lstm_op == "BlockLSTM":
                lstm_args["forget_bias"] = forget_bias
            _, cs, _, _, _, _, hs = getattr(tf.raw_ops, lstm_op)(**lstm_args)
            mask = tf.transpose(tf.sequence_mask(input_lengths, time_len, dtype=tf.float32), [1, 0])
            mask = tf.tile(tf.expand_dims(mask, -1), [1, 1, h])
            outputs = hs * mask
            all_c = tf.concat([tf.expand_dims(prev_c, 0), cs], 0)
            all_h = tf.concat([tf.expand_dims(prev_h, 0), outputs], 0)
            index = tf.stack([input_lengths, tf.range(batch_size)], axis=1)
            final_c = tf.gather_nd(all_c, index)  # .../GatherNd   = c
            final_h = tf.gather_nd(all_h, index)  # .../GatherNd_1 = h
        x = tf.reshape(outputs, [-1, h])
        x = dense("layer_5", x)
        x = dense("layer_6", x, relu=False)
        raw = tf.reshape(x, [-1, batch_size, n_classes], name="raw_logits")
        probs = tf.nn.softmax(raw, name="logits" if state == "placeholder" else "softmax")
        tf.identity(final_c, name="new_state_c")
        tf.identity(final_h, name="new_state_h")
        output_names = ["logits", "new_state_c", "new_state_h", "mfccs"]
        if state != "placeholder":
            # DeepSpeech 0.5: the new state is written back into the variables when logits is computed.
            state_updates = [v1.assign(var_c, final_c), v1.assign(var_h, final_h)]
            with tf.control_dependencies(state_updates):
                tf.identity(probs, name="logits")
            v1.group(
                v1.assign(var_c, tf.zeros([1, h])),
                v1.assign(var_h, tf.zeros([1, h])),
                name="initialize_state",
            )
            output_names.append("initialize_state")

        samples = v1.placeholder(tf.float32, [512], name="input_samples")
        spec = tf.raw_ops.AudioSpectrogram(
            input=tf.expand_dims(samples, -1), window_size=512, stride=320, magnitude_squared=True
        )
        mfcc_args = {"upper_frequency_limit": 8000.0} if version >= 6 else {}
        mfcc = tf.raw_ops.Mfcc(
            spectrogram=spec, sample_rate=tf.constant(16000), dct_coefficient_count=N_INPUT, **mfcc_args
        )
        tf.identity(tf.reshape(mfcc, [-1, N_INPUT]), name="mfccs")

        metadata = {
            "metadata_version": tf.constant([version], name="metadata_version"),
            "metadata_sample_rate": tf.constant([16000], name="metadata_sample_rate"),
            "metadata_feature_win_len": tf.constant([32], name="metadata_feature_win_len"),
            "metadata_feature_win_step": tf.constant([20], name="metadata_feature_win_step"),
            "metadata_alphabet": tf.constant([serialize_alphabet(labels)], name="metadata_alphabet"),
        }
        if version >= 6:
            metadata["metadata_beam_width"] = tf.constant([beam_width], name="metadata_beam_width")
        if language is not None:
            metadata["metadata_language"] = tf.constant([language.encode()], name="metadata_language")
        output_names += list(metadata)

        saver = v1.train.Saver(var_list=[variables[n] for n in values]) if checkpoint_dir else None
        with v1.Session(graph=graph) as sess:
            sess.run(v1.global_variables_initializer())
            if saver is not None:
                checkpoint_dir.mkdir(parents=True, exist_ok=True)
                saver.save(
                    sess,
                    str(checkpoint_dir / "best_dev"),
                    global_step=1234,
                    latest_filename="best_dev_checkpoint",
                )
            frozen = v1.graph_util.convert_variables_to_constants(
                sess,
                graph.as_graph_def(),
                output_names,
                variable_names_blacklist=["previous_state_c", "previous_state_h"],
            )
    frozen = v1.graph_util.extract_sub_graph(frozen, output_names)
    path.write_bytes(frozen.SerializeToString())
    return BuiltGraph(path, state, version, labels, values, checkpoint_dir, {"forget_bias": forget_bias})


class TFRunner:
    """Runs a frozen graph with TensorFlow chunk by chunk, the state carried as DeepSpeech's client does."""

    def __init__(self, built: BuiltGraph):
        import tensorflow as tf

        v1 = tf.compat.v1
        gd = v1.GraphDef()
        gd.ParseFromString(built.path.read_bytes())
        self.graph = tf.Graph()
        with self.graph.as_default():
            tf.import_graph_def(gd, name="")
        self.sess = v1.Session(graph=self.graph)
        self.state = built.state
        self.h = built.weights["layer_1/bias"].shape[0]
        self.reset()

    def reset(self) -> None:
        self.c = np.zeros((1, self.h), np.float32)
        self.hh = np.zeros((1, self.h), np.float32)
        if self.state != "placeholder":
            self.sess.run("initialize_state")

    def step(self, features: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """One chunk [1,16,19,26] -> (probabilities [16,1,C], new c, new h)."""
        cell = CELL_SCOPE
        fetches = ["logits:0", f"{cell}/GatherNd:0", f"{cell}/GatherNd_1:0"]
        feed = {"input_node:0": features, "input_lengths:0": np.array([N_STEPS], np.int32)}
        if self.state == "placeholder":
            feed.update({"previous_state_c:0": self.c, "previous_state_h:0": self.hh})
        probs, self.c, self.hh = self.sess.run(fetches, feed)
        return probs, self.c, self.hh

    def mfcc(self, samples: np.ndarray) -> np.ndarray:
        return self.sess.run("mfccs:0", {"input_samples:0": samples})

    def close(self) -> None:
        self.sess.close()
