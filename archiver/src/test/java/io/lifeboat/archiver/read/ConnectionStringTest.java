package io.lifeboat.archiver.read;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Optional;
import org.junit.jupiter.api.Test;

class ConnectionStringTest {

    @Test
    void keywordPassword_isTakenOut() {
        assertThat(ConnectionString.parse("host=db port=5432 password=s3cret dbname=app"))
                .isEqualTo(new ConnectionString("host=db port=5432 dbname=app", Optional.of("s3cret")));
    }

    @Test
    void quotedKeywordPassword_isUnescaped() {
        assertThat(ConnectionString.parse("host=db password='it\\'s a secret' dbname=app"))
                .isEqualTo(new ConnectionString("host=db dbname=app", Optional.of("it's a secret")));
    }

    @Test
    void uriPassword_isTakenOutOfTheUserInfo() {
        assertThat(ConnectionString.parse("postgresql://app:p%40ss@db:5432/app?sslmode=require"))
                .isEqualTo(new ConnectionString("postgresql://app@db:5432/app?sslmode=require", Optional.of("p@ss")));
    }

    @Test
    void uriPasswordParameter_isTakenOut() {
        assertThat(ConnectionString.parse("postgres://db/app?password=x&sslmode=disable"))
                .isEqualTo(new ConnectionString("postgres://db/app?sslmode=disable", Optional.of("x")));
        assertThat(ConnectionString.parse("postgres://db/app?sslmode=disable&password=x"))
                .isEqualTo(new ConnectionString("postgres://db/app?sslmode=disable", Optional.of("x")));
    }

    @Test
    void withoutPassword_isLeftAlone() {
        assertThat(ConnectionString.parse("host=db dbname=app"))
                .isEqualTo(new ConnectionString("host=db dbname=app", Optional.empty()));
    }
}
