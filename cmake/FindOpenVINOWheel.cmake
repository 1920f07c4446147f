# Locate OpenVINOConfig.cmake inside the installed `openvino` wheel without importing openvino
# (importing it would load its libraries into the configure step for nothing, and fail on a broken install
# with a far less clear message). importlib.util.find_spec only reads the package's location.
if(NOT OpenVINO_DIR)
  execute_process(
    COMMAND "${Python_EXECUTABLE}" -c
      "import importlib.util, os, sys; s = importlib.util.find_spec('openvino'); sys.stdout.write(os.path.join(list(s.submodule_search_locations)[0], 'cmake') if s else '')"
    OUTPUT_VARIABLE _pyds_ov_cmake_dir
    RESULT_VARIABLE _pyds_ov_rc)
  if(NOT _pyds_ov_rc EQUAL 0 OR NOT EXISTS "${_pyds_ov_cmake_dir}/OpenVINOConfig.cmake")
    message(FATAL_ERROR "pyds: the `openvino` Python wheel was not found for ${Python_EXECUTABLE}; "
                        "install it (pip install openvino==<pinned release>) or set OpenVINO_DIR.")
  endif()
  set(OpenVINO_DIR "${_pyds_ov_cmake_dir}" CACHE PATH "Directory holding OpenVINOConfig.cmake")
endif()
