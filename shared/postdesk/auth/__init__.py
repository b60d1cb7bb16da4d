"""How people prove who they are: Cognito accounts, sign-in and sessions, and the access audit."""
