-- Users and roles of the dashboard (issue 8 checks them on every route). Passwords are stored only as scrypt hashes
-- (node:crypto, format scrypt$N$r$p$<salt b64>$<key b64>, sinks/postgres/users.ts); never as text.
CREATE TABLE roles (
  role        text PRIMARY KEY,
  description text NOT NULL
);

INSERT INTO roles (role, description) VALUES
  ('viewer', 'Read every view (OEE wall, drill-downs, SPC charts); change nothing'),
  ('supervisor', 'Viewer, plus acknowledge and comment downtime alerts, enter stop reasons'),
  ('quality', 'Viewer, plus work SPC alarms: acknowledge, assign cause and corrective action, close'),
  ('maintenance', 'Viewer, plus work downtime and sensor alerts: acknowledge, assign cause, close'),
  ('admin', 'Everything, plus users and roles');

CREATE TABLE users (
  username      text PRIMARY KEY CHECK (username ~ '^[a-z0-9][a-z0-9._-]{0,63}$'),
  display_name  text,
  password_hash text NOT NULL CHECK (password_hash ~ '^scrypt\$[0-9]+\$[0-9]+\$[0-9]+\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+$'),
  disabled      boolean NOT NULL DEFAULT false,
  created_at    timestamptz NOT NULL DEFAULT now(),
  updated_at    timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE user_roles (
  username text NOT NULL REFERENCES users (username) ON DELETE CASCADE,
  role     text NOT NULL REFERENCES roles (role),
  PRIMARY KEY (username, role)
);
