# Read by llama.cpp's own project() call (CMAKE_PROJECT_llama.cpp_INCLUDE, set in the Makefile).
# llama-cpp-python forces LLAMA_BUILD_COMMON on, but its Python code loads only libllama and
# libggml; the common library (and the HTTP library only it uses) is a third of the build's
# compile time. A plain variable set here outranks that cached option (policy CMP0077).
set(LLAMA_BUILD_COMMON OFF)
