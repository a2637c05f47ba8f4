-- One database per service plus one for the key store, each owned by its own role, so a service
-- can reach only its own data. Run once by the postgres image on an empty data directory
-- (docker-entrypoint-initdb.d). The roles' password comes from the container's environment
-- (CASEFLOW_DB_PASSWORD), never from this file; production gives every role its own secret.
--
-- The key store holds the wrapped per-case data keys: only the key holders (intake, routing)
-- get its credentials (docs/operations.md, "Keys").

\set ON_ERROR_STOP on
\set db_password ''
\getenv db_password CASEFLOW_DB_PASSWORD

SELECT :'db_password' <> '' AS has_password \gset
\if :has_password
\else
  \echo 'CASEFLOW_DB_PASSWORD is empty: refusing to create roles without a password'
  SELECT 1/0;
\endif

CREATE ROLE intake LOGIN PASSWORD :'db_password';
CREATE ROLE routing LOGIN PASSWORD :'db_password';
CREATE ROLE scheduling LOGIN PASSWORD :'db_password';
CREATE ROLE reporting LOGIN PASSWORD :'db_password';
CREATE ROLE workbench LOGIN PASSWORD :'db_password';
CREATE ROLE keystore LOGIN PASSWORD :'db_password';

CREATE DATABASE intake OWNER intake;
CREATE DATABASE routing OWNER routing;
CREATE DATABASE scheduling OWNER scheduling;
CREATE DATABASE reporting OWNER reporting;
CREATE DATABASE workbench OWNER workbench;
CREATE DATABASE keystore OWNER keystore;

-- Nobody but the owner connects (PUBLIC has CONNECT by default).
REVOKE ALL ON DATABASE intake FROM PUBLIC;
REVOKE ALL ON DATABASE routing FROM PUBLIC;
REVOKE ALL ON DATABASE scheduling FROM PUBLIC;
REVOKE ALL ON DATABASE reporting FROM PUBLIC;
REVOKE ALL ON DATABASE workbench FROM PUBLIC;
REVOKE ALL ON DATABASE keystore FROM PUBLIC;
