//! Reading the input: a directory of YAML files or one multi-document file.

use std::path::{Path, PathBuf};

use crate::error::ClusterError;

/// One input file's text and the name used for it in findings.
#[derive(Clone, Debug)]
pub struct SourceFile {
    pub name: String,
    pub text: String,
}

/// Reads `path`: a file, or every `*.yaml`/`*.yml` file under a directory (recursively, sorted by path so
/// the order of objects — and so the output — never depends on the file system).
pub fn read_sources(path: &Path) -> Result<Vec<SourceFile>, ClusterError> {
    let meta = std::fs::metadata(path).map_err(|e| ClusterError::io(path, e))?;
    let mut files = Vec::new();
    if meta.is_dir() {
        collect_yaml_files(path, &mut files)?;
        files.sort();
        if files.is_empty() {
            return Err(ClusterError::NoInput(path.to_path_buf()));
        }
    } else {
        files.push(path.to_path_buf());
    }
    files
        .into_iter()
        .map(|file| {
            let bytes = std::fs::read(&file).map_err(|e| ClusterError::io(&file, e))?;
            let text = String::from_utf8(bytes).map_err(|e| ClusterError::NotUtf8 {
                file: file.display().to_string(),
                offset: e.utf8_error().valid_up_to(),
            })?;
            Ok(SourceFile {
                name: file.display().to_string(),
                text,
            })
        })
        .collect()
}

fn collect_yaml_files(dir: &Path, out: &mut Vec<PathBuf>) -> Result<(), ClusterError> {
    let entries = std::fs::read_dir(dir).map_err(|e| ClusterError::io(dir, e))?;
    for entry in entries {
        let entry = entry.map_err(|e| ClusterError::io(dir, e))?;
        let path = entry.path();
        let kind = entry.file_type().map_err(|e| ClusterError::io(&path, e))?;
        if kind.is_dir() {
            collect_yaml_files(&path, out)?;
        } else if matches!(
            path.extension().and_then(|e| e.to_str()),
            Some("yaml" | "yml")
        ) {
            out.push(path);
        }
    }
    Ok(())
}
