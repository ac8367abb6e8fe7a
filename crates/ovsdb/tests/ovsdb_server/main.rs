//! Integration tests of the OVSDB client against real `ovsdb-server` processes (one binary, so the
//! crate links once). Each test starts its own servers in a temporary directory and kills them, by
//! PID, when it ends. Without ovsdb-server installed the tests fail and say what to install.

mod cluster;
mod harness;
mod monitor;
mod probe;
mod reconnect;
mod schema;
mod transact;
