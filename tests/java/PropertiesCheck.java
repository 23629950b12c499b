// Reads each file named on the command line with java.util.Properties, as
// ZooKeeper reads zoo.cfg (Properties.load(InputStream): ISO 8859-1), and
// prints what it holds, so tests/properties_java.rs can compare zkpod's own
// Properties parser and encoder with Java's. Run as a single-file program:
//   java tests/java/PropertiesCheck.java FILE...
// Output per file: "FILE <index>", then "<key>=<value>" per entry sorted by
// key (every UTF-16 unit written as backslash-u and four hex digits, so the
// output is plain ASCII and
// unambiguous), then "END"; or "ERROR <exception>" when load refuses it.
import java.io.FileInputStream;
import java.util.Properties;
import java.util.TreeMap;

public class PropertiesCheck {
    static String esc(String s) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < s.length(); i++) {
            b.append(String.format("\\u%04X", (int) s.charAt(i)));
        }
        return b.toString();
    }

    public static void main(String[] args) throws Exception {
        StringBuilder out = new StringBuilder();
        for (int n = 0; n < args.length; n++) {
            out.append("FILE ").append(n).append('\n');
            Properties p = new Properties();
            try (FileInputStream in = new FileInputStream(args[n])) {
                p.load(in);
            } catch (IllegalArgumentException e) {
                out.append("ERROR ").append(e.getClass().getSimpleName()).append('\n');
                continue;
            }
            TreeMap<String, String> sorted = new TreeMap<>();
            for (String k : p.stringPropertyNames()) {
                sorted.put(k, p.getProperty(k));
            }
            for (var e : sorted.entrySet()) {
                out.append(esc(e.getKey())).append('=').append(esc(e.getValue())).append('\n');
            }
            out.append("END\n");
        }
        System.out.print(out);
    }
}
