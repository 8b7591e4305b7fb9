//! Sign-in from the window: the first admin, sign in, sign out. The password is wrapped as a
//! `Sensitive` the moment it arrives, so nothing here can print it.

use super::Answer;
use crate::shell::Shell;
use tauri::State;
use zc_app::zc_domain::user::Profile;
use zc_app::zc_domain::{Role, Sensitive};
use zc_app::zc_store::{SessionRow, UserRow};
use zc_app::{Client, NewUser, SignInState};

#[tauri::command]
pub async fn sign_in_state(shell: State<'_, Shell>) -> Answer<SignInState> {
    shell.app().sign_in_state().await
}

#[tauri::command]
pub async fn create_first_admin(
    shell: State<'_, Shell>,
    username: String,
    password: String,
    profile: Profile,
) -> Answer<UserRow> {
    let password = Sensitive::new(password);
    shell.app().create_first_admin(NewUser { username, role: Role::Admin, profile, password }).await
}

#[tauri::command]
pub async fn sign_in(shell: State<'_, Shell>, username: String, password: String) -> Answer<SessionRow> {
    shell.app().sign_in(&username, &Sensitive::new(password), Client::Desktop).await
}

#[tauri::command]
pub async fn sign_out(shell: State<'_, Shell>) -> Answer<Option<SessionRow>> {
    shell.app().sign_out().await
}
