//! Loading the settings from files and the environment, and the repository's own `config/`
//! and `env/` files: one test binary.

mod env_files;
mod loading;
