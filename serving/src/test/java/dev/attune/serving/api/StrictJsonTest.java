package dev.attune.serving.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.javalin.http.BadRequestResponse;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class StrictJsonTest {
  private static RetrievalApi.RetrieveRequest read(String body) {
    return StrictJson.read(body.getBytes(StandardCharsets.UTF_8), RetrievalApi.RetrieveRequest.class);
  }

  @Test
  void bind_a_well_formed_body() {
    RetrievalApi.RetrieveRequest r = read("{\"query\":\"who won\",\"k\":5,\"filters\":{\"titles\":[\"Super Bowl 50\"]},\"bridge\":true}");

    assertThat(r.query()).isEqualTo("who won");
    assertThat(r.k()).isEqualTo(5);
    assertThat(r.filters().titles()).containsExactly("Super Bowl 50");
    assertThat(r.bridge()).isTrue();
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = '|', value = {
      "{\"query\": | not valid JSON",
      "[] | body must be a JSON object",
      "null | body is null",
      "{\"query\":\"x\",\"k\":true} | field 'k' must be an integer",
      "{\"query\":\"x\",\"k\":\"5\"} | field 'k' must be an integer",
      "{\"query\":\"x\",\"k\":1.7} | field 'k' must be an integer",
      "{\"query\":\"x\",\"k\":NaN} | not valid JSON",
      "{\"query\":123} | field 'query' must be a string",
      "{\"query\":{\"text\":\"x\"}} | field 'query' must be a string",
      "{\"query\":\"x\",\"filters\":{\"titles\":[1]}} | field 'filters.titles[0]' must be a string",
      "{\"query\":\"x\",\"limit\":3} | unknown field 'limit'",
      "{\"query\":\"x\"} {} | content after its JSON object"})
  void refuse_a_bad_body_naming_the_field_and_no_java_class(String body, String message) {
    assertThatThrownBy(() -> read(body)).isInstanceOf(BadRequestResponse.class)
        .hasMessageContaining(message).message().doesNotContain("java.", "com.fasterxml", "dev.attune");
  }

  @Test
  void refuse_an_empty_body_and_nesting_deeper_than_any_request() {
    assertThatThrownBy(() -> read("")).hasMessageContaining("empty");
    String deep = "{\"query\":\"x\",\"filters\":{\"titles\":" + "[".repeat(StrictJson.MAX_NESTING) + "]".repeat(StrictJson.MAX_NESTING) + "}}";
    assertThatThrownBy(() -> read(deep)).isInstanceOf(BadRequestResponse.class).message().doesNotContain("com.fasterxml");
  }
}
