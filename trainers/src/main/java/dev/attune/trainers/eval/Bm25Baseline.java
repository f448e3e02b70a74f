package dev.attune.trainers.eval;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.lucene.analysis.Analyzer;
import org.apache.lucene.analysis.TokenStream;
import org.apache.lucene.analysis.standard.StandardAnalyzer;
import org.apache.lucene.analysis.tokenattributes.CharTermAttribute;
import org.apache.lucene.document.Document;
import org.apache.lucene.document.Field;
import org.apache.lucene.document.StoredField;
import org.apache.lucene.document.TextField;
import org.apache.lucene.index.DirectoryReader;
import org.apache.lucene.index.IndexWriter;
import org.apache.lucene.index.IndexWriterConfig;
import org.apache.lucene.index.Term;
import org.apache.lucene.search.BooleanClause;
import org.apache.lucene.search.BooleanQuery;
import org.apache.lucene.search.IndexSearcher;
import org.apache.lucene.search.ScoreDoc;
import org.apache.lucene.search.TermQuery;
import org.apache.lucene.search.similarities.BM25Similarity;
import org.apache.lucene.store.ByteBuffersDirectory;

/**
 * Lucene BM25 (k1 1.2, b 0.75, standard analyzer) over the same passage texts: the lexical bar a
 * dense retriever has to clear on a lexical data set such as SQuAD.
 */
public final class Bm25Baseline {
  private Bm25Baseline() {}

  /** Ranks every query's top 10 passages by BM25 and scores them like the dense models. */
  public static Map<String, Double> evaluate(List<String> passageIds, List<String> passageTexts, List<RetrievalMetrics.Judged> queries) {
    Map<String, String> texts = new java.util.HashMap<>();
    for (int i = 0; i < passageIds.size(); i++) texts.put(passageIds.get(i), passageTexts.get(i));
    return RetrievalMetrics.evaluate(queries, rank(passageIds, passageTexts, queries), texts);
  }

  /** Every query's top 10 passage ids by BM25, best first. */
  public static List<List<String>> rank(List<String> passageIds, List<String> passageTexts, List<RetrievalMetrics.Judged> queries) {
    try (Analyzer analyzer = new StandardAnalyzer(); ByteBuffersDirectory dir = new ByteBuffersDirectory()) {
      try (IndexWriter writer = new IndexWriter(dir, new IndexWriterConfig(analyzer).setSimilarity(new BM25Similarity()))) {
        for (int i = 0; i < passageIds.size(); i++) {
          Document doc = new Document();
          doc.add(new StoredField("id", passageIds.get(i)));
          doc.add(new TextField("text", passageTexts.get(i), Field.Store.NO));
          writer.addDocument(doc);
        }
      }
      List<List<String>> rankings = new ArrayList<>();
      try (DirectoryReader reader = DirectoryReader.open(dir)) {
        IndexSearcher searcher = new IndexSearcher(reader);
        searcher.setSimilarity(new BM25Similarity());
        for (RetrievalMetrics.Judged q : queries) {
          BooleanQuery.Builder query = new BooleanQuery.Builder();
          for (String term : terms(analyzer, q.text())) query.add(new TermQuery(new Term("text", term)), BooleanClause.Occur.SHOULD);
          List<String> ranked = new ArrayList<>();
          for (ScoreDoc hit : searcher.search(query.build(), 10).scoreDocs) ranked.add(searcher.storedFields().document(hit.doc).get("id"));
          rankings.add(ranked);
        }
      }
      return rankings;
    } catch (IOException e) {
      throw new UncheckedIOException("BM25 baseline failed", e);
    }
  }

  private static List<String> terms(Analyzer analyzer, String text) throws IOException {
    List<String> out = new ArrayList<>();
    try (TokenStream stream = analyzer.tokenStream("text", text)) {
      CharTermAttribute term = stream.addAttribute(CharTermAttribute.class);
      stream.reset();
      while (stream.incrementToken()) out.add(term.toString());
      stream.end();
    }
    return out;
  }
}
