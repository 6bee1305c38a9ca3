import java.io.FileOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;

import org.apache.rocketmq.client.QueryResult;
import org.apache.rocketmq.common.message.MessageClientExt;
import org.apache.rocketmq.common.message.MessageClientIDSetter;
import org.apache.rocketmq.common.message.MessageExt;
import org.apache.rocketmq.tools.admin.DefaultMQAdminExt;

/**
 * Many look-ups through the Java admin client in one JVM (what `mqadmin queryMsgByKey` / `queryMsgById` do for
 * one message each):
 *
 *   queryKeys NAMESRV TOPIC KEYSFILE OUTFILE   ->  KEY <key> <n> <uniqId>/<offsetMsgId>,...  (admin.queryMessage)
 *   viewIds   NAMESRV IDSFILE OUTFILE          ->  ID <offsetMsgId> <queueId> <queueOffset> <keys> <bodyMd5>
 *                                                  ID <offsetMsgId> ERROR <exception>  (admin.viewMessage)
 */
public class OracleAdmin {
    static List<String> lines(String path) throws Exception {
        List<String> out = new ArrayList<>();
        for (String l : Files.readAllLines(Paths.get(path), StandardCharsets.UTF_8)) {
            if (!l.trim().isEmpty()) {
                out.add(l.trim());
            }
        }
        return out;
    }

    static String offsetId(MessageExt m) {
        return m instanceof MessageClientExt ? ((MessageClientExt) m).getOffsetMsgId() : m.getMsgId();
    }

    public static void main(String[] argv) throws Exception {
        String cmd = argv[0];
        DefaultMQAdminExt admin = new DefaultMQAdminExt();
        admin.setInstanceName("oracle-admin-" + System.nanoTime());
        admin.setNamesrvAddr(argv[1]);
        admin.start();
        int errors = 0;
        if (cmd.equals("queryKeys")) {
            String topic = argv[2];
            PrintStream out = new PrintStream(new FileOutputStream(argv[4]), true, "UTF-8");
            for (String key : lines(argv[3])) {
                StringBuilder ids = new StringBuilder();
                int n = 0;
                try {
                    QueryResult r = admin.queryMessage(topic, key, 32, 0, Long.MAX_VALUE);
                    for (MessageExt m : r.getMessageList()) {
                        ids.append(n++ == 0 ? "" : ",").append(MessageClientIDSetter.getUniqID(m)).append('/')
                            .append(offsetId(m));
                    }
                } catch (Exception e) {
                    errors++;
                }
                out.println("KEY " + key + " " + n + " " + (n == 0 ? "-" : ids.toString()));
            }
            out.close();
        } else if (cmd.equals("viewIds")) {
            PrintStream out = new PrintStream(new FileOutputStream(argv[3]), true, "UTF-8");
            for (String id : lines(argv[2])) {
                try {
                    MessageExt m = admin.viewMessage(id);
                    out.println("ID " + id + " " + m.getQueueId() + " " + m.getQueueOffset() + " " + m.getKeys()
                        + " " + OracleProducer.md5(m.getBody()));
                } catch (Exception e) {
                    errors++;
                    out.println("ID " + id + " ERROR " + OracleProducer.oneLine(e));
                }
            }
            out.close();
        } else {
            throw new IllegalArgumentException("unknown command " + cmd);
        }
        admin.shutdown();
        System.exit(errors == 0 ? 0 : 2);
    }
}
