package io.lifeboat.archiver.read;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Set;
import org.junit.jupiter.api.Test;

/** pg_dumpall --globals-only output (PostgreSQL 15.14, as a superuser) cut into statements and filtered. */
class RoleScriptTest {
    private static final String GLOBALS = """
            --
            -- PostgreSQL database cluster dump
            --

            \\restrict pzRf8Im7CEOgeZd0nH5JugF5EJ7ilv7TICFPiFuR2NTWDeUcAp3P4BVROwDmRf3

            SET default_transaction_read_only = off;

            SET client_encoding = 'UTF8';
            SET standard_conforming_strings = on;

            --
            -- Roles
            --

            CREATE ROLE app;
            ALTER ROLE app WITH NOSUPERUSER INHERIT NOCREATEROLE NOCREATEDB LOGIN NOREPLICATION NOBYPASSRLS PASSWORD 'SCRAM-SHA-256$4096:MADP5Td5Qrge6UUpHqj9jA==$vSIScXoKp+ddfu0l7cC6hzBRQNr2LrZl8rHyb1WL8XA=:9CPFs5zA8Rk6jNzOXYQNbKhzRAeWVXvMt2CaV2rT4Gk=';
            COMMENT ON ROLE app IS 'the app; it''s ok
            -- not a comment';
            CREATE ROLE postgres;
            ALTER ROLE postgres WITH SUPERUSER INHERIT CREATEROLE CREATEDB LOGIN REPLICATION BYPASSRLS PASSWORD 'SCRAM-SHA-256$4096:x';
            CREATE ROLE readers;
            ALTER ROLE readers WITH NOSUPERUSER INHERIT NOCREATEROLE NOCREATEDB NOLOGIN NOREPLICATION NOBYPASSRLS;
            CREATE ROLE "Odd ""Role""; x";
            ALTER ROLE "Odd ""Role""; x" WITH NOSUPERUSER INHERIT NOCREATEROLE NOCREATEDB NOLOGIN NOREPLICATION NOBYPASSRLS;

            --
            -- User Configurations
            --

            ALTER ROLE app SET search_path TO 'public';
            ALTER ROLE postgres SET work_mem TO '64MB';

            --
            -- Role memberships
            --

            GRANT readers TO app GRANTED BY postgres;
            GRANT readers TO postgres GRANTED BY postgres;

            \\unrestrict pzRf8Im7CEOgeZd0nH5JugF5EJ7ilv7TICFPiFuR2NTWDeUcAp3P4BVROwDmRf3

            --
            -- PostgreSQL database cluster dump complete
            --

            """;

    @Test
    void cutsAtSemicolonsOutsideQuotes_andKeepsMetaCommandsAsLines() {
        RoleScript script = RoleScript.parse(GLOBALS);

        assertThat(script.statements()).startsWith(
                "\\restrict pzRf8Im7CEOgeZd0nH5JugF5EJ7ilv7TICFPiFuR2NTWDeUcAp3P4BVROwDmRf3",
                "SET default_transaction_read_only = off;");
        assertThat(script.statements()).contains("COMMENT ON ROLE app IS 'the app; it''s ok\n-- not a comment';")
                .endsWith("\\unrestrict pzRf8Im7CEOgeZd0nH5JugF5EJ7ilv7TICFPiFuR2NTWDeUcAp3P4BVROwDmRf3");
        assertThat(script.roles()).containsExactly("app", "postgres", "readers", "Odd \"Role\"; x");
    }

    @Test
    void leavesOutWhatIsAboutRolesTheDestinationHas_keepingMemberships() {
        String sql = RoleScript.parse(GLOBALS).without(Set.of("postgres"));

        assertThat(sql).doesNotContain("CREATE ROLE postgres;").doesNotContain("ALTER ROLE postgres")
                .as("the restoring superuser keeps its own password").doesNotContain("PASSWORD 'SCRAM-SHA-256$4096:x'")
                .contains("CREATE ROLE app;\n", "PASSWORD 'SCRAM-SHA-256$4096:MADP5", "CREATE ROLE readers;\n",
                        "ALTER ROLE \"Odd \"\"Role\"\"; x\" WITH", "ALTER ROLE app SET search_path TO 'public';\n",
                        "GRANT readers TO app GRANTED BY postgres;\n", "GRANT readers TO postgres GRANTED BY postgres;\n")
                .startsWith("\\restrict ").endsWith("\\unrestrict pzRf8Im7CEOgeZd0nH5JugF5EJ7ilv7TICFPiFuR2NTWDeUcAp3P4BVROwDmRf3\n");
        assertThat(RoleScript.parse(GLOBALS).without(Set.of("Odd \"Role\"; x"))).doesNotContain("Odd");
    }
}
