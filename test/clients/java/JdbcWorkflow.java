// The PostgreSQL JDBC driver (Debian's libpostgresql-jdbc-java) against a Keel node: the
// workflow a Java application runs. Each step prints one JSON line {"step": ..., "ok": ...};
// test/clients/jdbc.test.ts compiles this file with javac, runs it and checks every step.
// Usage: java -cp .:postgresql.jar JdbcWorkflow <port> <user> <password> <database>
import java.io.StringReader;
import java.io.StringWriter;
import java.sql.Connection;
import java.sql.DatabaseMetaData;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicReference;
import org.postgresql.PGConnection;
import org.postgresql.copy.CopyManager;

public class JdbcWorkflow {
  static void report(String step, boolean ok, String detail) {
    String escaped = detail.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n");
    System.out.println("{\"step\":\"" + step + "\",\"ok\":" + ok + ",\"detail\":\"" + escaped + "\"}");
    System.out.flush();
  }

  public static void main(String[] args) throws Exception {
    String url = "jdbc:postgresql://127.0.0.1:" + args[0] + "/" + args[3];
    Properties props = new Properties();
    props.setProperty("user", args[1]);
    props.setProperty("password", args[2]);
    props.setProperty("connectTimeout", "10");
    props.setProperty("ApplicationName", "jdbc-workflow");
    try (Connection conn = DriverManager.getConnection(url, props)) {
      DatabaseMetaData meta = conn.getMetaData();
      report("connect", meta.getDatabaseMajorVersion() >= 16, meta.getDatabaseProductVersion());
      schemaAndParameters(conn);
      transactions(conn);
      metadata(conn);
      largeResult(conn);
      copy(conn);
      cancel(url, props, conn);
    }
  }

  static void schemaAndParameters(Connection conn) throws SQLException {
    try (Statement st = conn.createStatement()) {
      st.execute("CREATE TABLE items (id serial PRIMARY KEY, sku varchar(20) NOT NULL UNIQUE, price numeric(8,2), "
          + "stocked boolean DEFAULT true, updated timestamptz DEFAULT now())");
    }
    try (PreparedStatement ps = conn.prepareStatement("INSERT INTO items (sku, price) VALUES (?, ?)")) {
      for (int i = 1; i <= 10; i++) {
        ps.setString(1, "SKU-" + i);
        ps.setBigDecimal(2, new java.math.BigDecimal(i + ".25"));
        ps.addBatch();
      }
      int[] counts = ps.executeBatch();
      report("batch_insert", counts.length == 10, "batches " + counts.length);
    }
    // Run enough times to cross prepareThreshold (5): the driver switches to a named server statement.
    List<String> seen = new ArrayList<>();
    try (PreparedStatement ps = conn.prepareStatement("SELECT sku, price, stocked, updated FROM items WHERE id = ?")) {
      for (int i = 1; i <= 8; i++) {
        ps.setInt(1, i);
        try (ResultSet rs = ps.executeQuery()) {
          if (rs.next() && rs.getBoolean(3) && rs.getTimestamp(4) != null) seen.add(rs.getString(1) + "=" + rs.getBigDecimal(2));
        }
      }
    }
    report("parameters", seen.size() == 8 && seen.get(7).equals("SKU-8=8.25"), String.join(",", seen));
  }

  static void transactions(Connection conn) throws SQLException {
    conn.setAutoCommit(false);
    try (Statement st = conn.createStatement()) {
      st.executeUpdate("UPDATE items SET price = 0");
      conn.rollback();
      try (ResultSet rs = st.executeQuery("SELECT count(*) FROM items WHERE price = 0")) {
        rs.next();
        report("rollback", rs.getInt(1) == 0, "zero-priced " + rs.getInt(1));
      }
      try {
        st.executeUpdate("INSERT INTO items (sku) VALUES ('SKU-1')");
        report("error", false, "no error");
      } catch (SQLException e) {
        conn.rollback();
        report("error", "23505".equals(e.getSQLState()), e.getSQLState() + " " + e.getMessage());
      }
    }
    conn.setAutoCommit(true);
  }

  static void metadata(Connection conn) throws SQLException {
    DatabaseMetaData meta = conn.getMetaData();
    List<String> found = new ArrayList<>();
    try (ResultSet rs = meta.getTables(null, "public", "items", new String[] {"TABLE"})) {
      while (rs.next()) found.add("table:" + rs.getString("TABLE_NAME"));
    }
    try (ResultSet rs = meta.getColumns(null, "public", "items", null)) {
      while (rs.next()) found.add(rs.getString("COLUMN_NAME") + ":" + rs.getString("TYPE_NAME") + ":" + rs.getInt("NULLABLE"));
    }
    // getPrimaryKeys and getIndexInfo are left out: their queries call information_schema._pg_expandarray,
    // a set-returning function of records that Keel's query processor does not have yet.
    String joined = String.join(",", found);
    report("metadata", joined.equals("table:items,id:serial:0,sku:varchar:0,price:numeric:1,stocked:bool:1,"
        + "updated:timestamptz:1"), joined);
  }

  static void largeResult(Connection conn) throws SQLException {
    try (Statement st = conn.createStatement()) {
      st.execute("INSERT INTO items (sku, price) SELECT 'BULK-' || g::text, g FROM generate_series(1, 10000) AS g");
    }
    conn.setAutoCommit(false);
    int rows = 0;
    try (Statement st = conn.createStatement()) {
      st.setFetchSize(1000);
      try (ResultSet rs = st.executeQuery("SELECT id, sku FROM items ORDER BY id")) {
        while (rs.next()) rows++;
      }
    }
    conn.commit();
    conn.setAutoCommit(true);
    report("large_result", rows == 10010, "rows " + rows);
  }

  static void copy(Connection conn) throws Exception {
    CopyManager copy = conn.unwrap(PGConnection.class).getCopyAPI();
    long loaded = copy.copyIn("COPY items (sku, price) FROM STDIN WITH (FORMAT csv)", new StringReader("CSV-1,1.5\nCSV-2,2.5\n"));
    StringWriter out = new StringWriter();
    copy.copyOut("COPY (SELECT sku, price FROM items WHERE left(sku, 4) = 'CSV-' ORDER BY sku) TO STDOUT WITH (FORMAT csv)", out);
    report("copy", loaded == 2 && out.toString().equals("CSV-1,1.50\nCSV-2,2.50\n"), out.toString());
  }

  static void cancel(String url, Properties props, Connection conn) throws Exception {
    try (Connection holder = DriverManager.getConnection(url, props);
        Connection waiter = DriverManager.getConnection(url, props)) {
      holder.setAutoCommit(false);
      try (Statement hs = holder.createStatement()) {
        hs.executeQuery("SELECT * FROM items WHERE id = 1 FOR UPDATE").close();
      }
      Statement ws = waiter.createStatement();
      AtomicReference<String> outcome = new AtomicReference<>("none");
      Thread thread = new Thread(() -> {
        try {
          ws.executeUpdate("UPDATE items SET price = 1 WHERE id = 1 /* jdbc-cancel */");
          outcome.set("finished");
        } catch (SQLException e) {
          outcome.set(e.getSQLState());
        }
      });
      thread.start();
      try (PreparedStatement probe = conn.prepareStatement(
          "SELECT count(*) FROM pg_stat_activity WHERE state = 'active' AND position('jdbc-cancel' in query) > 0 AND pid <> pg_backend_pid()")) {
        for (int i = 0; i < 400; i++) {
          try (ResultSet rs = probe.executeQuery()) {
            rs.next();
            if (rs.getInt(1) == 1) break;
          }
          Thread.sleep(50);
        }
      }
      ws.cancel();
      thread.join(30_000);
      holder.rollback();
      report("cancel", "57014".equals(outcome.get()), outcome.get());
    }
  }
}
