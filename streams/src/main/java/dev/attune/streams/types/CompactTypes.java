package dev.attune.streams.types;

import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.Type;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.api.java.typeutils.ListTypeInfo;
import org.apache.flink.api.java.typeutils.MapTypeInfo;
import org.apache.flink.api.java.typeutils.TypeExtractor;

/**
 * Flink types for the jobs' own POJOs (state and records between tasks) whose strings, also inside
 * lists, maps and nested POJOs of ours, go through {@link Utf8StringSerializer}. The classes stay
 * plain (the rules they carry know nothing of Flink); the jobs name their types here. Every other
 * field is typed as Flink would type it.
 */
public final class CompactTypes {
  private static final String OURS = "dev.attune.";
  /** For keys (request and passage ids): they are written with every state entry and timer too. */
  public static final TypeInformation<String> KEY = Utf8StringTypeInfo.INSTANCE;

  private CompactTypes() {}

  @SuppressWarnings("unchecked")
  public static <T> TypeInformation<T> of(Class<T> pojo) {
    Map<String, TypeInformation<?>> fields = new LinkedHashMap<>();
    for (Class<?> c = pojo; c != Object.class; c = c.getSuperclass()) {
      for (Field f : c.getDeclaredFields()) {
        if (Modifier.isStatic(f.getModifiers()) || Modifier.isTransient(f.getModifiers())) continue;
        fields.put(f.getName(), field(f.getGenericType()));
      }
    }
    return Types.POJO(pojo, fields);
  }

  private static TypeInformation<?> field(Type type) {
    if (type == String.class) return Utf8StringTypeInfo.INSTANCE;
    if (type instanceof ParameterizedType p) {
      Type[] args = p.getActualTypeArguments();
      if (p.getRawType() == List.class) return new ListTypeInfo<>(field(args[0]));
      if (p.getRawType() == Map.class) return new MapTypeInfo<>(field(args[0]), field(args[1]));
    }
    if (type instanceof Class<?> c && c.getName().startsWith(OURS) && !c.isEnum() && !c.isRecord()) return of(c);
    return TypeExtractor.createTypeInfo(type);
  }
}
