"""
pyds C++ core (private: use the pyds package)
"""
from __future__ import annotations
import collections.abc
import numpy
import numpy.typing
from pyds import errors as _errors
import typing
__all__: list[str] = ['Alphabet', 'BatchEngine', 'C_ERROR_CODES', 'C_UNKNOWN_ERROR_MESSAGE', 'CtcBeamSearch', 'DecoderOptions', 'FeatureOptions', 'FeatureStream', 'Model', 'Scorer', 'Stream', 'Token', 'Transcript', 'check_bundle', 'check_bundle_text', 'context_windows', 'ctc_beam_search', 'ctc_greedy', 'mfcc', 'model_cache_bundle_dir', 'model_cache_bundle_lock', 'model_cache_root', 'model_cache_source_key', 'write_scorer_package']
class Alphabet:
    """
    The label set of an acoustic model. Label i is output class i; the CTC blank is the last class
    (index ``len(alphabet)``). Character mode (labels are strings) or UTF-8 bytes mode (255 byte labels).
    """
    __hash__: typing.ClassVar[None] = None
    @staticmethod
    def from_bytes(serialized: bytes) -> Alphabet:
        """
        Parse the serialized form stored in a model's metadata_alphabet.
        """
    @staticmethod
    def from_file(path: str) -> Alphabet:
        """
        Read a DeepSpeech alphabet.txt (one label per line, '#' comments, '\\#' for '#').
        """
    @staticmethod
    def utf8() -> Alphabet:
        """
        The UTF-8 bytes-mode alphabet (labels are bytes 1..255).
        """
    def __eq__(self, other: Alphabet) -> bool:
        ...
    def __init__(self, labels: collections.abc.Sequence[str]) -> None:
        """
        An alphabet from its labels in class order (blank excluded).
        """
    def __len__(self) -> int:
        ...
    def __repr__(self) -> str:
        ...
    def decode(self, labels: collections.abc.Sequence[typing.SupportsInt | typing.SupportsIndex]) -> bytes:
        """
        The concatenated label bytes of a label sequence.
        """
    def encode(self, text: str) -> list[int]:
        """
        Split UTF-8 text into labels (bytes mode: one label per byte).
        """
    def serialize(self) -> bytes:
        """
        The metadata_alphabet serialization of this alphabet.
        """
    @property
    def blank(self) -> int:
        """
        Index of the CTC blank class (the last one).
        """
    @property
    def is_utf8(self) -> bool:
        """
        True in UTF-8 bytes mode.
        """
    @property
    def labels(self) -> list[str]:
        """
        Labels in class order (str; bytes mode: latin-1 chars).
        """
    @property
    def num_classes(self) -> int:
        """
        Labels plus the blank.
        """
    @property
    def space_label(self) -> int:
        """
        Index of the ' ' label, or -1.
        """
class FeatureOptions:
    """
    MFCC front-end parameters (defaults: released models).
    """
    def __init__(self) -> None:
        ...
    def __repr__(self) -> str:
        ...
    @property
    def dct_coefficients(self) -> int:
        """
        Coefficients per frame (26).
        """
    @dct_coefficients.setter
    def dct_coefficients(self, arg0: typing.SupportsInt | typing.SupportsIndex) -> None:
        ...
    @property
    def filterbank_channels(self) -> int:
        """
        Mel channels (40).
        """
    @filterbank_channels.setter
    def filterbank_channels(self, arg0: typing.SupportsInt | typing.SupportsIndex) -> None:
        ...
    @property
    def lower_frequency_hz(self) -> float:
        """
        Mfcc lower limit (20 Hz).
        """
    @lower_frequency_hz.setter
    def lower_frequency_hz(self, arg0: typing.SupportsFloat | typing.SupportsIndex) -> None:
        ...
    @property
    def sample_rate(self) -> int:
        """
        Hz; the only rate the model accepts.
        """
    @sample_rate.setter
    def sample_rate(self, arg0: typing.SupportsInt | typing.SupportsIndex) -> None:
        ...
    @property
    def step_samples(self) -> int:
        ...
    @property
    def upper_frequency_hz(self) -> float:
        """
        Mfcc upper limit: 8000, or 4000 for DeepSpeech 0.6 graphs.
        """
    @upper_frequency_hz.setter
    def upper_frequency_hz(self, arg0: typing.SupportsFloat | typing.SupportsIndex) -> None:
        ...
    @property
    def window_length_ms(self) -> int:
        """
        Feature window (32 ms = 512 samples).
        """
    @window_length_ms.setter
    def window_length_ms(self, arg0: typing.SupportsInt | typing.SupportsIndex) -> None:
        ...
    @property
    def window_samples(self) -> int:
        ...
    @property
    def window_step_ms(self) -> int:
        """
        Hop between windows (20 ms = 320 samples).
        """
    @window_step_ms.setter
    def window_step_ms(self, arg0: typing.SupportsInt | typing.SupportsIndex) -> None:
        ...
class FeatureStream:
    """
    Streaming MFCC: accept() chunks of any size, the frames of the one-shot mfcc() come out. Threads may share one: their calls run one at a time, in the order they get the lock.
    """
    def __init__(self, sample_rate: typing.SupportsInt | typing.SupportsIndex = 16000, *, options: FeatureOptions = ...) -> None:
        ...
    def accept(self, chunk: numpy.ndarray) -> numpy.typing.NDArray[numpy.float32]:
        ...
    def flush(self) -> numpy.typing.NDArray[numpy.float32]:
        ...
    def reset(self) -> None:
        ...
    @property
    def buffered_samples(self) -> int:
        ...
class Scorer:
    """
    An external scorer: a KenLM n-gram language model with its vocabulary trie and default weights.
    
    Reads a DeepSpeech/Coqui ``.scorer`` (memory-mapped; nothing is parsed beyond the headers), a bare KenLM
    binary or an ARPA file. For the bare LM forms, ``vocabulary`` (a file of whitespace-separated words) builds
    the trie; without it, the LM's own words do. ``alpha``/``beta`` default to the scorer's own defaults.
    Immutable apart from the weights; the underlying model is shared, never copied.
    """
    def __init__(self, path: typing.Any, alphabet: Alphabet, alpha: typing.SupportsFloat | typing.SupportsIndex | None = None, beta: typing.SupportsFloat | typing.SupportsIndex | None = None, vocabulary: typing.Any = None) -> None:
        ...
    def __repr__(self) -> str:
        ...
    def log_cond_prob(self, words: collections.abc.Sequence[str], bos: bool = False, eos: bool = False) -> float:
        """
        DeepSpeech's get_log_cond_prob: ln P(last word | the words before it), from the sentence-start
        state when ``bos`` (else no context); with ``eos`` the ln P of </s> after the words. Any word
        outside the LM vocabulary gives -1000.
        """
    def set_alpha_beta(self, alpha: typing.SupportsFloat | typing.SupportsIndex, beta: typing.SupportsFloat | typing.SupportsIndex) -> None:
        """
        Set the weights used when decoding.
        """
    def trie_is_final(self, state: typing.SupportsInt | typing.SupportsIndex) -> bool:
        """
        True when ``state`` ends a vocabulary word (after its space in word mode).
        """
    def trie_next(self, state: typing.SupportsInt | typing.SupportsIndex, label: typing.SupportsInt | typing.SupportsIndex) -> int | None:
        """
        The trie state after alphabet label ``label``, or None when no vocabulary word continues so.
        """
    @property
    def alpha(self) -> float:
        """
        Language model weight used when decoding.
        """
    @property
    def beta(self) -> float:
        """
        Word insertion bonus used when decoding.
        """
    @property
    def default_alpha(self) -> float:
        """
        Alpha stored in the scorer file (DeepSpeech's default for bare LMs).
        """
    @property
    def default_beta(self) -> float:
        """
        Beta stored in the scorer file (DeepSpeech's default for bare LMs).
        """
    @property
    def is_utf8_mode(self) -> bool:
        """
        True for a UTF-8 (bytes) scorer, whose words are single codepoints.
        """
    @property
    def max_order(self) -> int:
        """
        The LM's n-gram order.
        """
    @property
    def trie_start(self) -> int:
        """
        Start state of the vocabulary trie.
        """
class DecoderOptions:
    """
    Beam-search settings (defaults: DeepSpeech's).
    """
    def __init__(self) -> None:
        ...
    @property
    def alpha(self) -> float | None:
        """
        LM weight; None = the scorer's default.
        """
    @alpha.setter
    def alpha(self, arg0: typing.SupportsFloat | typing.SupportsIndex | None) -> None:
        ...
    @property
    def beam_width(self) -> int:
        """
        Prefixes kept per frame.
        """
    @beam_width.setter
    def beam_width(self, arg0: typing.SupportsInt | typing.SupportsIndex) -> None:
        ...
    @property
    def beta(self) -> float | None:
        """
        Word insertion bonus; None = the scorer's default.
        """
    @beta.setter
    def beta(self, arg0: typing.SupportsFloat | typing.SupportsIndex | None) -> None:
        ...
    @property
    def cutoff_prob(self) -> float:
        """
        Class pruning by cumulative probability, (0, 1].
        """
    @cutoff_prob.setter
    def cutoff_prob(self, arg0: typing.SupportsFloat | typing.SupportsIndex) -> None:
        ...
    @property
    def cutoff_top_n(self) -> int:
        """
        Class pruning: at most this many classes.
        """
    @cutoff_top_n.setter
    def cutoff_top_n(self, arg0: typing.SupportsInt | typing.SupportsIndex) -> None:
        ...
    @property
    def frame_step_seconds(self) -> float:
        """
        Seconds between two frames.
        """
    @frame_step_seconds.setter
    def frame_step_seconds(self, arg0: typing.SupportsFloat | typing.SupportsIndex) -> None:
        ...
    @property
    def num_results(self) -> int:
        """
        Transcripts returned by default.
        """
    @num_results.setter
    def num_results(self, arg0: typing.SupportsInt | typing.SupportsIndex) -> None:
        ...
class Token:
    """
    One decoded label (C++ result; pyds.decoder.Token is the public form).
    """
    @property
    def label(self) -> int:
        ...
    @property
    def start_time(self) -> float:
        ...
    @property
    def text_bytes(self) -> bytes:
        ...
    @property
    def timestep(self) -> int:
        ...
class Transcript:
    """
    One decoded beam (C++ result; pyds.decoder.Transcript is the public form).
    """
    @property
    def confidence(self) -> float:
        ...
    @property
    def text_bytes(self) -> bytes:
        ...
    @property
    def tokens(self) -> list[Token]:
        ...
class _TableScorer:
    """
    In-memory n-gram table + vocabulary trie implementing the Scorer interface (tests).
    """
    def __init__(self, alphabet: Alphabet, ngrams: collections.abc.Mapping[collections.abc.Sequence[str], typing.SupportsFloat | typing.SupportsIndex], vocabulary: collections.abc.Sequence[str], order: typing.SupportsInt | typing.SupportsIndex, utf8_mode: bool, alpha: typing.SupportsFloat | typing.SupportsIndex, beta: typing.SupportsFloat | typing.SupportsIndex, with_trie: bool = True, unlisted_log10: typing.SupportsFloat | typing.SupportsIndex = -4.0) -> None:
        ...
    def log_cond_prob(self, words: collections.abc.Sequence[str], bos: bool, eos: bool = False) -> float:
        ...
    def trie_is_final(self, state: typing.SupportsInt | typing.SupportsIndex) -> bool:
        ...
    def trie_next(self, state: typing.SupportsInt | typing.SupportsIndex, label: typing.SupportsInt | typing.SupportsIndex) -> int:
        ...
    def trie_start(self) -> int:
        ...
    @property
    def default_alpha(self) -> float:
        ...
    @property
    def default_beta(self) -> float:
        ...
    @property
    def has_trie(self) -> bool:
        ...
    @property
    def is_utf8_mode(self) -> bool:
        ...
    @property
    def max_order(self) -> int:
        ...
class _PythonScorer:
    """
    Wraps a Python object with the Scorer methods (default_alpha, default_beta, is_utf8_mode, max_order, has_trie, trie_start(), trie_next(state, label), trie_is_final(state), log_cond_prob(words: list[bytes], bos, eos)) for the C++ search (private; slow: every call takes the GIL).
    """
    def __init__(self, impl: typing.Any) -> None:
        ...
class CtcBeamSearch:
    """
    Streaming CTC beam search: feed chunks with next(), decode() any time. Threads may share one: their calls run one at a time (each waits for the other's, with the GIL released).
    """
    def __init__(self, alphabet: Alphabet, beam_width: typing.SupportsInt | typing.SupportsIndex = 500, *, cutoff_prob: typing.SupportsFloat | typing.SupportsIndex = 1.0, cutoff_top_n: typing.SupportsInt | typing.SupportsIndex = 40, scorer: typing.Any = None, hot_words: collections.abc.Mapping[str, typing.SupportsFloat | typing.SupportsIndex] = {}, num_results: typing.SupportsInt | typing.SupportsIndex = 1, alpha: typing.SupportsFloat | typing.SupportsIndex | None = None, beta: typing.SupportsFloat | typing.SupportsIndex | None = None, frame_step_seconds: typing.SupportsFloat | typing.SupportsIndex = 0.02) -> None:
        ...
    def decode(self, num_results: typing.SupportsInt | typing.SupportsIndex | None = None) -> list[Transcript]:
        """
        The best transcripts so far (the state is unchanged).
        """
    def next(self, probs: numpy.ndarray) -> None:
        """
        Feed float32 softmax rows [frames, classes].
        """
    def reset(self) -> None:
        """
        Start a new utterance with the same settings.
        """
    @property
    def alpha(self) -> float:
        """
        LM weight in use (0 without a scorer).
        """
    @property
    def beta(self) -> float:
        """
        Word bonus in use (0 without a scorer).
        """
    @property
    def frames(self) -> int:
        """
        Frames fed since construction or reset().
        """
    @property
    def options(self) -> DecoderOptions:
        """
        The settings.
        """
class Stream:
    """
    One utterance's streaming state (create with Model.create_stream()).
    """
    def feed_audio_content(self, chunk: numpy.ndarray) -> None:
        ...
    def finish_stream(self) -> str:
        ...
    def finish_stream_with_metadata(self, num_results: typing.SupportsInt | typing.SupportsIndex = 1) -> list[Transcript]:
        ...
    def intermediate_decode(self) -> str:
        ...
    def intermediate_decode_flush_buffers(self, num_results: typing.SupportsInt | typing.SupportsIndex = 1) -> list[Transcript]:
        """
        Coqui's flushing intermediate decode: runs the buffered audio first (see pyds::Stream).
        """
    def intermediate_decode_with_metadata(self, num_results: typing.SupportsInt | typing.SupportsIndex = 1) -> list[Transcript]:
        ...
    def reset(self) -> None:
        ...
    @property
    def batched(self) -> bool:
        """
        True when this stream's chunks run as rows of the model's live scheduler.
        """
    @property
    def finished(self) -> bool:
        ...
    @property
    def timesteps(self) -> int:
        ...
class Model:
    """
    A compiled model bundle (use pyds.Model, which resolves model names and files).
    """
    def __init__(self, bundle_dir: str, *, device: str = 'CPU', cache_dir: str = '', threads: typing.SupportsInt | typing.SupportsIndex = 0, numerics: str = 'fidelity', beam_width: typing.SupportsInt | typing.SupportsIndex = 0, batch_streams: bool = True, live_batch_rows: typing.SupportsInt | typing.SupportsIndex = 16, bundled_scorer: bool = True) -> None:
        ...
    def add_hot_word(self, word: str, boost: typing.SupportsFloat | typing.SupportsIndex) -> None:
        ...
    def clear_hot_words(self) -> None:
        ...
    def compiled_property(self, name: str) -> str:
        ...
    def compute_probabilities(self, audio: numpy.ndarray) -> numpy.typing.NDArray[numpy.float32]:
        ...
    def create_stream(self) -> Stream:
        ...
    def disable_scorer(self) -> None:
        ...
    def enable_scorer(self, scorer: Scorer, alpha: typing.SupportsFloat | typing.SupportsIndex | None = None, beta: typing.SupportsFloat | typing.SupportsIndex | None = None) -> None:
        ...
    def erase_hot_word(self, word: str) -> None:
        ...
    def set_scorer_alpha_beta(self, alpha: typing.SupportsFloat | typing.SupportsIndex, beta: typing.SupportsFloat | typing.SupportsIndex) -> None:
        ...
    def stt(self, audio: numpy.ndarray) -> str:
        ...
    def stt_with_metadata(self, audio: numpy.ndarray, num_results: typing.SupportsInt | typing.SupportsIndex = 1) -> list[Transcript]:
        ...
    def time_inference(self, rows: typing.SupportsInt | typing.SupportsIndex = 1, requests: typing.SupportsInt | typing.SupportsIndex = 20) -> float:
        """
        The raw inference ceiling: mean seconds of one request of `rows` chunks on the compiled model (no features, no decoder; one warm-up request first).
        """
    @property
    def alphabet(self) -> Alphabet:
        ...
    @property
    def batch_streams(self) -> bool:
        """
        True when streams share batched inference (the live scheduler).
        """
    @property
    def batchable(self) -> bool:
        """
        True when the compiled model takes several rows per request (a dynamic batch).
        """
    @property
    def beam_width(self) -> int:
        ...
    @beam_width.setter
    def beam_width(self, arg1: typing.SupportsInt | typing.SupportsIndex) -> None:
        ...
    @property
    def bundle_dir(self) -> str:
        ...
    @property
    def bundled_scorer(self) -> str:
        ...
    @property
    def device(self) -> str:
        ...
    @property
    def feature_options(self) -> FeatureOptions:
        """
        The MFCC front end the streams use (from pyds.json: rate, window, mfcc_upper_hz).
        """
    @property
    def has_scorer(self) -> bool:
        ...
    @property
    def hot_words(self) -> dict[str, float]:
        ...
    @property
    def language(self) -> str:
        ...
    @property
    def live_rounds(self) -> int:
        """
        Batched requests the live scheduler has run so far.
        """
    @property
    def live_rows(self) -> int:
        """
        Stream chunks the live scheduler has inferred so far (rows over all rounds).
        """
    @property
    def n_cell(self) -> int:
        ...
    @property
    def n_context(self) -> int:
        ...
    @property
    def n_steps(self) -> int:
        ...
    @property
    def numerics(self) -> str:
        ...
    @property
    def sample_rate(self) -> int:
        ...
class BatchEngine:
    """
    Many utterances as the rows of one batched inference (use pyds.Model.transcribe_batch).
    """
    def __init__(self, model: Model, *, batch_size: typing.SupportsInt | typing.SupportsIndex = 16, decoder_threads: typing.SupportsInt | typing.SupportsIndex = 0) -> None:
        ...
    def last_run_stats(self) -> dict:
        """
        The profile of the last run: seconds in inference, features and waiting for the decoders, wall seconds, requests and rows.
        """
    def run(self, audios: collections.abc.Sequence, num_results: typing.SupportsInt | typing.SupportsIndex = 1) -> list[list[Transcript]]:
        """
        Per input, in order: its best num_results transcripts (the Model's decoder settings at call time).
        """
    @property
    def batch_size(self) -> int:
        ...
    @property
    def decoder_threads(self) -> int:
        ...
def check_bundle(directory: str) -> None:
    """
    Validate <directory>/pyds.json (every field, unknown fields are errors) and that its IR files exist. ModelNotFoundError when the manifest cannot be opened, InvalidModelError naming file and field.
    """
def check_bundle_text(text: str, where: str) -> None:
    """
    Validate the text of a pyds.json with the same rules (no file is read); errors name ``where``.
    """
def context_windows(frames: typing.Annotated[numpy.typing.ArrayLike, numpy.float32], n_context: typing.SupportsInt | typing.SupportsIndex = 9) -> numpy.typing.NDArray[numpy.float32]:
    """
    The native client's context windows of MFCC frames: one [2*n_context+1, n_input] window per frame, centred on
    it, with n_context zero frames before the first and after the last frame (float32 [n_frames, 2c+1, n_input]).
    """
def ctc_beam_search(probs: numpy.ndarray, alphabet: Alphabet, beam_width: typing.SupportsInt | typing.SupportsIndex, *, cutoff_prob: typing.SupportsFloat | typing.SupportsIndex = 1.0, cutoff_top_n: typing.SupportsInt | typing.SupportsIndex = 40, scorer: typing.Any = None, hot_words: collections.abc.Mapping[str, typing.SupportsFloat | typing.SupportsIndex] = {}, num_results: typing.SupportsInt | typing.SupportsIndex = 1, alpha: typing.SupportsFloat | typing.SupportsIndex | None = None, beta: typing.SupportsFloat | typing.SupportsIndex | None = None, frame_step_seconds: typing.SupportsFloat | typing.SupportsIndex = 0.02) -> list[Transcript]:
    """
    DeepSpeech's CTC prefix beam search over float32 softmax rows [frames, classes]; best first.
    """
def ctc_greedy(probs: numpy.ndarray, alphabet: Alphabet, *, frame_step_seconds: typing.SupportsFloat | typing.SupportsIndex = 0.02) -> Transcript:
    """
    Best-path decoding: argmax per frame, repeats merged, blanks removed.
    """
def mfcc(samples: numpy.ndarray, sample_rate: typing.SupportsInt | typing.SupportsIndex = 16000, *, options: FeatureOptions = ...) -> numpy.typing.NDArray[numpy.float32]:
    ...
def model_cache_bundle_dir(root: str, key: str) -> str:
    """
    <root>/bundles/<key>: the bundle converted for a source key or registry name.
    """
def model_cache_bundle_lock(root: str, key: str) -> str:
    """
    <root>/locks/bundle--<key>.lock: held while that bundle is converted.
    """
def model_cache_root() -> str:
    """
    $PYDS_CACHE_DIR, else $XDG_CACHE_HOME/pyds, else ~/.cache/pyds ("" when no home is known).
    """
def model_cache_source_key(sha256_hex: str) -> str:
    """
    The cache key of a raw model file: 'sha256-<hex>'.
    """
def write_scorer_package(lm: typing.Any, output: typing.Any, alphabet: Alphabet, default_alpha: typing.SupportsFloat | typing.SupportsIndex, default_beta: typing.SupportsFloat | typing.SupportsIndex, vocabulary: typing.Any = None) -> None:
    """
    Package a KenLM binary or ARPA file and a vocabulary into a DeepSpeech .scorer (written atomically).
    """
C_ERROR_CODES: tuple = (('ERR_OK', 0, 'No error.'), ('ERR_NO_MODEL', 4096, 'Missing model information.'), ('ERR_INVALID_ALPHABET', 8192, 'Invalid alphabet embedded in model. (Data corruption?)'), ('ERR_INVALID_SHAPE', 8193, 'Invalid model shape.'), ('ERR_INVALID_SCORER', 8194, 'Invalid scorer file.'), ('ERR_MODEL_INCOMPATIBLE', 8195, 'Incompatible model.'), ('ERR_SCORER_NOT_ENABLED', 8196, 'External scorer is not enabled.'), ('ERR_SCORER_UNREADABLE', 8197, 'Could not read scorer file.'), ('ERR_SCORER_INVALID_LM', 8198, 'Could not recognize language model header in scorer.'), ('ERR_SCORER_NO_TRIE', 8199, 'Reached end of scorer file before loading vocabulary trie.'), ('ERR_SCORER_INVALID_TRIE', 8200, 'Invalid magic in trie header.'), ('ERR_SCORER_VERSION_MISMATCH', 8201, 'Scorer file version does not match expected version.'), ('ERR_FAIL_INIT_MMAP', 12288, 'Failed to initialize memory mapped model.'), ('ERR_FAIL_INIT_SESS', 12289, 'Failed to initialize the session.'), ('ERR_FAIL_INTERPRETER', 12290, 'Interpreter failed.'), ('ERR_FAIL_RUN_SESS', 12291, 'Failed to run the session.'), ('ERR_FAIL_CREATE_STREAM', 12292, 'Error creating the stream.'), ('ERR_FAIL_READ_PROTOBUF', 12293, 'Error reading the proto buffer model file.'), ('ERR_FAIL_CREATE_SESS', 12294, 'Failed to create session.'), ('ERR_FAIL_CREATE_MODEL', 12295, 'Could not allocate model state.'), ('ERR_FAIL_INSERT_HOTWORD', 12296, 'Could not insert hot-word.'), ('ERR_FAIL_CLEAR_HOTWORD', 12297, 'Could not clear hot-words.'), ('ERR_FAIL_ERASE_HOTWORD', 12304, 'Could not erase hot-word.'))
C_UNKNOWN_ERROR_MESSAGE: str = 'Unknown error, please make sure you are using the correct error code.'
__version__: str = '0.1.0'
