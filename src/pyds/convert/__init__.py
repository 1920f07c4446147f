"""pyds-convert: DeepSpeech and Coqui STT model files to an OpenVINO IR model bundle."""
