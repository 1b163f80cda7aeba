//! Writing generated files: never through a symbolic link, never outside the output directory, and a failure
//! names the file.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use mcpfleet_dockerfile_gen::Error;

/// A link inside the output directory to a directory outside it: the fleet's files would land there.
#[test]
fn a_linked_directory_inside_the_output_is_refused_and_nothing_leaves_it() {
    let out = tempfile::tempdir().unwrap();
    let elsewhere = tempfile::tempdir().unwrap();
    std::os::unix::fs::symlink(elsewhere.path(), out.path().join("servers")).unwrap();
    let (_, files) = common::fleet();
    let err = files.write_to(out.path()).unwrap_err();
    let Error::Write { path, source } = &err else {
        panic!("{err}")
    };
    assert_eq!(path, &out.path().join("servers"));
    assert!(source.to_string().contains("symbolic link"), "{source}");
    assert_eq!(std::fs::read_dir(elsewhere.path()).unwrap().count(), 0);
}

/// A link where a generated file goes, pointing at a file outside: that file must not be overwritten.
#[test]
fn a_linked_file_is_not_written_through() {
    let out = tempfile::tempdir().unwrap();
    let victim = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(victim.path(), "keep me").unwrap();
    std::os::unix::fs::symlink(victim.path(), out.path().join("docker-compose.yml")).unwrap();
    let (_, files) = common::fleet();
    let err = files.write_to(out.path()).unwrap_err();
    assert!(err.to_string().contains("docker-compose.yml"), "{err}");
    assert_eq!(std::fs::read_to_string(victim.path()).unwrap(), "keep me");
}

/// A regular file in the way of a directory: the error names it; the rest of the output is untouched.
#[test]
fn a_failed_write_names_the_file() {
    let out = tempfile::tempdir().unwrap();
    std::fs::write(out.path().join("servers"), "a file, not a directory").unwrap();
    let (_, files) = common::fleet();
    let err = files.write_to(out.path()).unwrap_err();
    assert!(err.to_string().contains("servers"), "{err}");
    // Written again into a clean directory, the same files all land, and no temporary file stays behind.
    let clean = tempfile::tempdir().unwrap();
    files.write_to(clean.path()).unwrap();
    let mut names = Vec::new();
    for entry in walk(clean.path()) {
        names.push(entry);
    }
    assert!(names.iter().all(|n| !n.ends_with(".tmp")), "{names:?}");
    assert_eq!(names.len(), files.files.len(), "{names:?}");
}

fn walk(dir: &std::path::Path) -> Vec<String> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(walk(&path));
        } else {
            out.push(path.display().to_string());
        }
    }
    out
}
