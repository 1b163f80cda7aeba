//! The fleet lock: one apply of a fleet on a gateway at a time, across processes on this machine.
//!
//! ContextForge has no lock between two creates of the same name (public registrations have no unique
//! constraint), so two applies that read the gateway at the same moment would both register. Holding an
//! advisory file lock from the read that plans until the last write makes the second apply read what the first
//! wrote, and find nothing to do.

use std::fs::{File, TryLockError};
use std::path::Path;
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};

use crate::error::{Error, Result};

/// A held fleet lock; dropping it releases the lock.
#[derive(Debug)]
pub(crate) struct FleetLock {
    _file: File,
    pub(crate) waited: Duration,
}

impl FleetLock {
    /// Takes the lock of (`gateway`, `fleet`) in `dir`, waiting up to `timeout` for another holder.
    pub(crate) async fn acquire(
        dir: &Path,
        gateway: &str,
        fleet: &str,
        timeout: Duration,
    ) -> Result<Self> {
        std::fs::create_dir_all(dir).map_err(|source| Error::Write {
            path: dir.to_owned(),
            source,
        })?;
        let key = Sha256::digest(format!("{}\0{fleet}", crate::plan::normalize_url(gateway)));
        let name: String = key.iter().take(8).map(|b| format!("{b:02x}")).collect();
        // The slug keeps a fleet name built in code (unchecked) from reaching outside `dir`.
        let path = dir.join(format!("{}-{name}.lock", crate::slug::slug(fleet)));
        let file = File::options()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(|source| Error::Write {
                path: path.clone(),
                source,
            })?;
        let started = Instant::now();
        let mut pause = Duration::from_millis(20);
        loop {
            match file.try_lock() {
                Ok(()) => {
                    tracing::debug!(lock = %path.display(), "holding the fleet lock");
                    return Ok(Self {
                        _file: file,
                        waited: started.elapsed(),
                    });
                }
                Err(TryLockError::WouldBlock) if started.elapsed() < timeout => {
                    tracing::debug!(lock = %path.display(), "waiting for another apply of this fleet");
                    tokio::time::sleep(pause).await;
                    pause = (pause * 2).min(Duration::from_millis(500));
                }
                Err(TryLockError::WouldBlock) => {
                    return Err(Error::Locked {
                        fleet: fleet.to_owned(),
                        path,
                        waited_secs: started.elapsed().as_secs(),
                    });
                }
                Err(TryLockError::Error(source)) => return Err(Error::Write { path, source }),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_second_holder_waits_for_the_first() {
        let dir = tempfile::tempdir().unwrap();
        let first =
            FleetLock::acquire(dir.path(), "http://gw:4444", "demo", Duration::from_secs(5))
                .await
                .unwrap();
        let err = FleetLock::acquire(
            dir.path(),
            "http://gw:4444/",
            "demo",
            Duration::from_millis(100),
        )
        .await
        .unwrap_err();
        assert!(matches!(err, Error::Locked { .. }), "{err}");
        // Another fleet on the same gateway is independent.
        FleetLock::acquire(
            dir.path(),
            "http://gw:4444",
            "other",
            Duration::from_millis(100),
        )
        .await
        .unwrap();
        drop(first);
        FleetLock::acquire(
            dir.path(),
            "http://gw:4444",
            "demo",
            Duration::from_millis(100),
        )
        .await
        .unwrap();
    }
}
