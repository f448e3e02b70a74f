package dev.attune.serving.api;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.MapperFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.cfg.CoercionAction;
import com.fasterxml.jackson.databind.cfg.CoercionInputShape;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.type.LogicalType;
import io.javalin.http.BadRequestResponse;
import java.io.IOException;
import java.util.Collection;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * Binds request bodies strictly: unknown fields, wrong types ({@code "k": "5"}, {@code 1.7}, {@code
 * true}; a query given as a number or an object), non-numeric numbers (NaN), trailing content and
 * deep nesting are a 400 whose message names the field and what it should be, never a Java class.
 */
final class StrictJson {
  /** Deeper than any request body; bounds what a hostile body costs to parse. */
  static final int MAX_NESTING = 16;

  private static final ObjectMapper MAPPER = mapper();

  private StrictJson() {}

  private static ObjectMapper mapper() {
    JsonMapper mapper = JsonMapper.builder()
        .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES,
            DeserializationFeature.FAIL_ON_TRAILING_TOKENS, DeserializationFeature.FAIL_ON_NUMBERS_FOR_ENUMS)
        .disable(DeserializationFeature.ACCEPT_FLOAT_AS_INT)
        .disable(MapperFeature.ALLOW_COERCION_OF_SCALARS)
        .build();
    mapper.getFactory().setStreamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(MAX_NESTING).build());
    // A string field takes a string: 123, true or 1.5 are not silently turned into one.
    mapper.coercionConfigFor(LogicalType.Textual)
        .setCoercion(CoercionInputShape.Integer, CoercionAction.Fail)
        .setCoercion(CoercionInputShape.Float, CoercionAction.Fail)
        .setCoercion(CoercionInputShape.Boolean, CoercionAction.Fail);
    return mapper;
  }

  /** The body as a {@code type}, or a {@link BadRequestResponse} that says what is wrong with it. */
  static <T> T read(byte[] body, Class<T> type) {
    if (body == null || body.length == 0) throw new BadRequestResponse("body is empty; send a JSON object");
    try (JsonParser parser = MAPPER.createParser(body)) {
      T value = MAPPER.readValue(parser, type);
      if (value == null) throw new BadRequestResponse("body is null; send a JSON object");
      return value;
    } catch (UnrecognizedPropertyException e) {
      throw new BadRequestResponse("unknown field '" + path(e) + "'; known: " + known(e.getKnownPropertyIds()));
    } catch (MismatchedInputException e) {
      String field = path(e);
      String expected = expected(e.getTargetType());
      if (field.isEmpty()) {
        boolean trailing = e.getOriginalMessage() != null && e.getOriginalMessage().startsWith("Trailing token");
        throw new BadRequestResponse(trailing ? "body has content after its JSON object" : "body must be a JSON object");
      }
      throw new BadRequestResponse("field '" + field + "' must be " + expected);
    } catch (JsonMappingException e) {
      throw new BadRequestResponse("field '" + path(e) + "' is invalid");
    } catch (JacksonException e) {
      throw new BadRequestResponse("body is not valid JSON: " + e.getOriginalMessage());
    } catch (IOException e) {
      throw new BadRequestResponse("body cannot be read: " + e.getMessage());
    }
  }

  private static String path(JsonMappingException e) {
    return e.getPath().stream()
        .map(r -> r.getFieldName() != null ? r.getFieldName() : "[" + r.getIndex() + "]")
        .collect(Collectors.joining(".")).replace(".[", "[");
  }

  private static String known(Collection<Object> ids) {
    return ids.stream().map(String::valueOf).sorted().collect(Collectors.joining(", ", "[", "]"));
  }

  private static String expected(Class<?> type) {
    if (type == null) return "of another type";
    if (type == String.class) return "a string";
    if (type == Integer.class || type == int.class || type == Long.class || type == long.class) return "an integer";
    if (type == Double.class || type == double.class || type == Float.class || type == float.class) return "a number";
    if (type == Boolean.class || type == boolean.class) return "true or false";
    if (Collection.class.isAssignableFrom(type)) return "an array";
    return Map.class.isAssignableFrom(type) || type.isRecord() ? "an object" : "of another type";
  }
}
