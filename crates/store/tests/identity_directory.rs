//! The identity's directory in the store (on the engine of the test run): names unique per
//! domain, updates, and deletes that take their role assignments with them; a second replica on
//! the same database sees every change.

use neutrino_store::identity_directory::{
    RoleAssignment, StoredProject, StoredRole, StoredUser, assign_role, delete_project,
    delete_role, delete_user, insert_project, insert_role, insert_user, project_by_id,
    project_by_name, projects, role_assignments, roles, unassign_role, update_project, update_user,
    user_by_id, user_by_name, users,
};
use neutrino_store::testing::ScratchDatabase;

fn project(id: &str, name: &str) -> StoredProject {
    StoredProject {
        id: id.into(),
        domain_id: "default".into(),
        name: name.into(),
        description: String::new(),
        enabled: true,
    }
}

fn user(id: &str, name: &str) -> StoredUser {
    StoredUser {
        id: id.into(),
        domain_id: "default".into(),
        name: name.into(),
        password_digest: Some("ab".into()),
        enabled: true,
        default_project_id: None,
        extra: "{}".into(),
    }
}

fn grant(user: &str, project: &str, role: &str) -> RoleAssignment {
    RoleAssignment {
        user_id: user.into(),
        project_id: project.into(),
        role_id: role.into(),
    }
}

#[tokio::test]
async fn directory_round_trip_on_two_replicas() {
    let dir = tempfile::tempdir().unwrap();
    let db = ScratchDatabase::new(dir.path());
    let one = db.open(dir.path()).unwrap();
    let two = db.open(dir.path()).unwrap();

    let inserted = one
        .write(|tx| {
            Ok::<_, neutrino_store::StoreError>((
                insert_project(tx, &project("p1", "alpha"), 1)?,
                insert_project(tx, &project("p2", "alpha"), 2)?,
                insert_project(tx, &project("p2", "beta"), 3)?,
                insert_user(tx, &user("u1", "ann"), 4)?,
                insert_user(tx, &user("u2", "ann"), 5)?,
                insert_role(
                    tx,
                    &StoredRole {
                        id: "r1".into(),
                        name: "auditor".into(),
                        description: None,
                    },
                    6,
                )?,
                assign_role(tx, &grant("u1", "p1", "r1"))?,
                assign_role(tx, &grant("u1", "p1", "r1"))?,
                assign_role(tx, &grant("u1", "p2", "r1"))?,
            ))
        })
        .await
        .unwrap();
    assert_eq!(
        inserted,
        (true, false, true, true, false, true, true, false, true),
        "a taken name is refused, a repeated grant changes nothing"
    );

    let seen = two
        .read(|tx| {
            Ok::<_, neutrino_store::StoreError>((
                projects(tx)?,
                users(tx)?,
                roles(tx)?,
                role_assignments(tx, Some("u1"), None, None)?,
                project_by_name(tx, "default", "beta")?,
                user_by_name(tx, "ann")?,
            ))
        })
        .await
        .unwrap();
    assert_eq!(seen.0, vec![project("p1", "alpha"), project("p2", "beta")]);
    assert_eq!(seen.1, vec![user("u1", "ann")]);
    assert_eq!(seen.2.len(), 1);
    assert_eq!(
        seen.3,
        vec![grant("u1", "p1", "r1"), grant("u1", "p2", "r1")]
    );
    assert_eq!(seen.4, Some(project("p2", "beta")));
    assert_eq!(seen.5, Some(user("u1", "ann")));

    let changed = two
        .write(|tx| {
            let mut p = project("p1", "gamma");
            p.enabled = false;
            let mut u = user("u1", "bob");
            u.password_digest = None;
            Ok::<_, neutrino_store::StoreError>((
                update_project(tx, &p)?,
                update_user(tx, &u)?,
                update_user(tx, &user("nobody", "x"))?,
                unassign_role(tx, &grant("u1", "p2", "r1"))?,
                unassign_role(tx, &grant("u1", "p2", "r1"))?,
            ))
        })
        .await
        .unwrap();
    assert_eq!(changed, (true, true, false, true, false));
    let (p, u) = one
        .read(|tx| {
            Ok::<_, neutrino_store::StoreError>((project_by_id(tx, "p1")?, user_by_id(tx, "u1")?))
        })
        .await
        .unwrap();
    assert_eq!(
        p.map(|p| (p.name, p.enabled)),
        Some(("gamma".into(), false))
    );
    assert_eq!(u.and_then(|u| u.password_digest), None);

    // Deletes take the assignments along.
    let gone = one
        .write(|tx| {
            assign_role(tx, &grant("u1", "p2", "r1"))?;
            Ok::<_, neutrino_store::StoreError>((
                delete_project(tx, "p1")?,
                role_assignments(tx, None, None, None)?.len(),
                delete_role(tx, "r1")?,
                role_assignments(tx, None, None, None)?.len(),
                delete_user(tx, "u1")?,
                delete_user(tx, "u1")?,
            ))
        })
        .await
        .unwrap();
    assert_eq!(gone, (true, 1, true, 0, true, false));
}
