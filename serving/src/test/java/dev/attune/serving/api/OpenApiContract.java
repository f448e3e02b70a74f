package dev.attune.serving.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.networknt.schema.Error;
import com.networknt.schema.Schema;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.SpecificationVersion;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;

/**
 * The API's OpenAPI document as a test oracle: each response a test gets is checked against what the
 * document says for its route, method and status (the status documented, the body valid against the
 * schema, JSON Schema 2020-12 as OpenAPI 3.1 uses it), each request body a test sends as valid
 * against the request schema, and what was exercised is remembered, so a test can ask what the
 * document promises that it never saw.
 */
final class OpenApiContract {
  private static final ObjectMapper JSON = new ObjectMapper();
  private final JsonNode document;
  private final SchemaRegistry registry = SchemaRegistry.withDefaultDialect(SpecificationVersion.DRAFT_2020_12);
  private final Set<String> exercised = new TreeSet<>();

  OpenApiContract(byte[] document) throws IOException {
    this.document = JSON.readTree(document);
  }

  /** {@code "METHOD path status"} for every response the document lists. */
  Set<String> documented() {
    Set<String> all = new TreeSet<>();
    document.path("paths").fields().forEachRemaining(path -> path.getValue().fields().forEachRemaining(op ->
        op.getValue().path("responses").fieldNames().forEachRemaining(status ->
            all.add(op.getKey().toUpperCase(Locale.ROOT) + " " + path.getKey() + " " + status))));
    return all;
  }

  Set<String> paths() {
    Set<String> paths = new TreeSet<>();
    document.path("paths").fieldNames().forEachRemaining(paths::add);
    return paths;
  }

  /** Documented responses no {@link #response} call has seen. */
  Set<String> unexercised() {
    Set<String> missing = documented();
    missing.removeAll(exercised);
    return missing;
  }

  /** Checks a request body the test sends against the operation's request schema. */
  void request(String method, String path, String body) throws IOException {
    JsonNode schema = operation(method, path).path("requestBody").path("content").path("application/json").path("schema");
    if (schema.isMissingNode()) throw new AssertionError(method + " " + path + " documents no JSON request body");
    List<String> errors = errors(schema, JSON.readTree(body));
    if (!errors.isEmpty()) throw new AssertionError(method + " " + path + " request " + body + " breaks the document: " + errors);
  }

  /** Checks a response against the document and counts it as exercised; returns it for further checks. */
  HttpResponse<String> response(String method, String path, HttpResponse<String> response) throws IOException {
    String status = String.valueOf(response.statusCode());
    JsonNode documented = resolve(operation(method, path).path("responses").path(status));
    if (documented.isMissingNode()) {
      throw new AssertionError(method + " " + path + " answered " + status + ", which the document does not list: " + response.body());
    }
    JsonNode content = documented.path("content");
    String type = response.headers().firstValue("Content-Type").orElse("");
    if (content.has("application/json")) {
      if (!type.startsWith("application/json")) throw new AssertionError(method + " " + path + " " + status + " came as " + type);
      List<String> errors = errors(content.path("application/json").path("schema"), JSON.readTree(response.body()));
      if (!errors.isEmpty()) throw new AssertionError(method + " " + path + " " + status + " body breaks the document: " + errors + "\n" + response.body());
    } else if (content.has("text/plain") && !type.startsWith("text/plain")) {
      throw new AssertionError(method + " " + path + " " + status + " came as " + type + ", documented text/plain");
    }
    for (Iterator<String> headers = documented.path("headers").fieldNames(); headers.hasNext(); ) {
      String header = headers.next();
      if (response.headers().firstValue(header).isEmpty()) throw new AssertionError(method + " " + path + " " + status + " lacks header " + header);
    }
    exercised.add(method + " " + path + " " + status);
    return response;
  }

  private JsonNode operation(String method, String path) {
    JsonNode op = document.path("paths").path(path).path(method.toLowerCase(Locale.ROOT));
    if (op.isMissingNode()) throw new AssertionError(method + " " + path + " is not in the document");
    return op;
  }

  /** A {@code $ref} to {@code #/components/...} followed. */
  private JsonNode resolve(JsonNode node) {
    String ref = node.path("$ref").asText("");
    return ref.startsWith("#/") ? document.at(ref.substring(1)) : node;
  }

  /** Validates against {@code schema}, whose references point into the document's components. */
  private List<String> errors(JsonNode schema, JsonNode value) {
    ObjectNode root = JSON.createObjectNode();
    root.put("$schema", "https://json-schema.org/draft/2020-12/schema");
    root.setAll((ObjectNode) schema.deepCopy());
    root.set("components", document.path("components"));
    Schema compiled = registry.getSchema(root);
    List<String> errors = new ArrayList<>();
    for (Error e : compiled.validate(value)) errors.add(e.getInstanceLocation() + ": " + e.getMessage());
    return errors;
  }
}
