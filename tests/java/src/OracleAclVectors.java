import java.io.FileOutputStream;
import java.io.PrintStream;
import java.util.Base64;
import java.util.HashMap;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;

import org.apache.rocketmq.acl.common.AclClientRPCHook;
import org.apache.rocketmq.acl.common.AclUtils;
import org.apache.rocketmq.acl.common.SessionCredentials;
import org.apache.rocketmq.remoting.protocol.RemotingCommand;

/**
 * Signature vectors from Apache's own code, one JSON line each:
 *
 *   {"ext": {...}, "body": BASE64 | null, "secret": S, "ak": A, "signature": SIG, "hook": {...}}
 *
 * signature = AclUtils.calSignature(AclUtils.combineRequestContent(request, new TreeMap(ext)), secret) over the
 * random fields as they are; hook = the request's extFields after AclClientRPCHook(new SessionCredentials(ak,
 * secret)).doBeforeRequest (AccessKey added, then Signature). Keys and values mix ASCII, Latin, CJK, the
 * U+E000..U+FFFF block, supplementary characters (surrogate pairs) and, in some vectors, lone surrogates.
 * Every non-ASCII character is written as a JSON \\u escape so the output is plain ASCII.
 *
 * Options: -o OUTFILE [-c COUNT] [--seed N]
 */
public class OracleAclVectors {
    static final String[] POOLS = {
        "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-%:;|=,.{}[]\" \\",
        "\u00e9\u00fc\u00df\u0416\u05d0",
        "\u4e2d\u6587\u5b57\u7b26",
        "\ue000\uf8ff\ufb01\uff21\ufffd",
    };

    static String randomText(Random r, int max, boolean loneSurrogates) {
        StringBuilder sb = new StringBuilder();
        int n = r.nextInt(max + 1);
        for (int i = 0; i < n; i++) {
            int kind = r.nextInt(loneSurrogates ? 7 : 6);
            if (kind < 4) {
                String pool = POOLS[kind == 3 ? 3 : kind == 0 ? 0 : r.nextInt(4)];
                sb.append(pool.charAt(r.nextInt(pool.length())));
            } else if (kind < 6) {
                sb.appendCodePoint(0x10000 + r.nextInt(0x10FFFF - 0x10000));
            } else {
                sb.append((char) (0xD800 + r.nextInt(0x800)));   // a lone high or low surrogate
            }
        }
        return sb.toString();
    }

    static String json(String s) {
        StringBuilder sb = new StringBuilder("\"");
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '"' || c == '\\') {
                sb.append('\\').append(c);
            } else if (c < 0x20 || c > 0x7e) {
                sb.append(String.format("\\u%04x", (int) c));
            } else {
                sb.append(c);
            }
        }
        return sb.append('"').toString();
    }

    static String json(Map<String, String> m) {
        StringBuilder sb = new StringBuilder("{");
        for (Map.Entry<String, String> e : m.entrySet()) {
            if (sb.length() > 1) {
                sb.append(", ");
            }
            sb.append(json(e.getKey())).append(": ").append(json(e.getValue()));
        }
        return sb.append('}').toString();
    }

    public static void main(String[] argv) throws Exception {
        Map<String, String> a = new HashMap<>();
        for (int i = 0; i + 1 < argv.length; i += 2) {
            a.put(argv[i], argv[i + 1]);
        }
        int count = Integer.parseInt(a.getOrDefault("-c", "200"));
        Random r = new Random(Long.parseLong(a.getOrDefault("--seed", "1")));
        try (PrintStream out = new PrintStream(new FileOutputStream(a.get("-o")), true, "US-ASCII")) {
            for (int v = 0; v < count; v++) {
                boolean lone = v % 5 == 4;
                Map<String, String> ext = new HashMap<>();
                int fields = r.nextInt(12);
                for (int f = 0; f < fields; f++) {
                    ext.put(randomText(r, 10, lone), randomText(r, 16, lone));
                }
                if (v % 7 == 0) {
                    ext.put("Signature", "stale" + v);     // never part of the content
                }
                byte[] body = null;
                if (r.nextInt(3) > 0) {
                    body = new byte[r.nextInt(400)];
                    r.nextBytes(body);
                }
                String secret = randomText(r, 20, false) + "k";
                String ak = "ak" + randomText(r, 8, false);

                RemotingCommand request = RemotingCommand.createRequestCommand(10, null);
                for (Map.Entry<String, String> e : ext.entrySet()) {
                    request.addExtField(e.getKey(), e.getValue());
                }
                request.setBody(body);
                String signature = AclUtils.calSignature(
                    AclUtils.combineRequestContent(request, new TreeMap<String, String>(ext)), secret);

                RemotingCommand hooked = RemotingCommand.createRequestCommand(10, null);
                for (Map.Entry<String, String> e : ext.entrySet()) {
                    if (!"Signature".equals(e.getKey())) {
                        hooked.addExtField(e.getKey(), e.getValue());
                    }
                }
                hooked.setBody(body);
                new AclClientRPCHook(new SessionCredentials(ak, secret)).doBeforeRequest("127.0.0.1:1", hooked);

                out.println("{\"ext\": " + json(ext) + ", \"body\": "
                    + (body == null ? "null" : json(Base64.getEncoder().encodeToString(body)))
                    + ", \"secret\": " + json(secret) + ", \"ak\": " + json(ak)
                    + ", \"signature\": " + json(signature) + ", \"hook\": " + json(hooked.getExtFields()) + "}");
            }
        }
    }
}
