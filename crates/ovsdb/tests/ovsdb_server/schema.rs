//! The schema check at connect refuses what the server's schema lacks, with a clear message.

use neutrino_ovsdb::{AtomicType, Client, Error, Shape, TableNeed};

use crate::harness::{Server, config, scratch};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn schema_check_refuses_an_unknown_column() {
    let dir = scratch();
    let server = Server::standalone(dir.path());

    let mut cfg = config(vec![server.remote()]);
    cfg.needs = vec![
        TableNeed::new("Logical_Switch_Port")
            .column("name", Shape::Scalar(AtomicType::String))
            .column(
                "external_ids",
                Shape::Map(AtomicType::String, AtomicType::String),
            )
            .column("X", Shape::Any),
    ];
    let err = Client::connect(cfg).await.err().expect("must refuse");
    assert!(matches!(err, Error::Schema(_)), "{err:?}");
    assert!(!err.is_retriable());
    assert_eq!(
        err.to_string(),
        "table Logical_Switch_Port has no column X in the server's schema OVN_Northbound 7.0.0"
    );

    let mut cfg = config(vec![server.remote()]);
    cfg.needs = vec![TableNeed::new("Logical_Switch_Port").column(
        "addresses",
        Shape::Map(AtomicType::String, AtomicType::String),
    )];
    let err = Client::connect(cfg).await.err().expect("must refuse");
    assert_eq!(
        err.to_string(),
        "column Logical_Switch_Port.addresses is set of string in the server's schema OVN_Northbound 7.0.0, expected map of string to string"
    );

    let mut cfg = config(vec![server.remote()]);
    cfg.needs = vec![
        TableNeed::new("Logical_Switch_Port")
            .column("name", Shape::Scalar(AtomicType::String))
            .column("up", Shape::Optional(AtomicType::Boolean))
            .column("addresses", Shape::Set(AtomicType::String)),
        TableNeed::new("Logical_Switch").column("ports", Shape::Set(AtomicType::Uuid)),
    ];
    let client = Client::connect(cfg).await.expect("compatible needs");
    let schema = client.schema().expect("schema");
    assert_eq!(schema.name, "OVN_Northbound");
}
