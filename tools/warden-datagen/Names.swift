/// Word tables for Chinese person and company names, region codes, phone prefixes.
/// Everything is UTF-8 bytes, built once.
enum Names {
    static func chars(_ s: String) -> [[UInt8]] { s.map { Array(String($0).utf8) } }
    static func words(_ s: String) -> [[UInt8]] { s.split(separator: " ").map { Array($0.utf8) } }

    /// Common single surnames, roughly by frequency (the first ten cover ~40% of people).
    static let surnames = chars(
        "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤")
    static let surnameWeights = Weighted(surnames.indices.map { i in i < 10 ? 60 : i < 30 ? 25 : 10 })
    static let compoundSurnames = words("欧阳 司马 上官 诸葛 慕容 东方 皇甫 令狐")

    /// Characters used in given names.
    static let givenChars = chars(
        "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚桂英华建国志红玉文辉斌宇浩鹏飞晨阳婷雪琳颖佳欣怡子涵梓萱一诺思雨博文俊杰宏伟海燕秀梅晓东丹凯旭瑞欢庆春秋冬梅兵亮林峰彬鑫龙云莉萍宁琴娇慧倩璐薇嘉诚豪铭轩昊天泽宸睿瑶瑾琪蕾楠曦彤悦雯")

    /// Real county-level region codes (GB/T 2260) with the city name used in company names.
    static let regions: [(code: Int, city: [UInt8], district: [UInt8], province: [UInt8])] = [
        (110101, "北京", "东城区", "北京"), (110105, "北京", "朝阳区", "北京"), (110108, "北京", "海淀区", "北京"),
        (310101, "上海", "黄浦区", "上海"), (310104, "上海", "徐汇区", "上海"), (310115, "上海", "浦东新区", "上海"),
        (440103, "广州", "荔湾区", "广东"), (440106, "广州", "天河区", "广东"), (440305, "深圳", "南山区", "广东"),
        (440304, "深圳", "福田区", "广东"), (330102, "杭州", "上城区", "浙江"), (330106, "杭州", "西湖区", "浙江"),
        (320102, "南京", "玄武区", "江苏"), (320505, "苏州", "虎丘区", "江苏"), (420106, "武汉", "武昌区", "湖北"),
        (510104, "成都", "锦江区", "四川"), (510107, "成都", "武侯区", "四川"), (500103, "重庆", "渝中区", "重庆"),
        (610113, "西安", "雁塔区", "陕西"), (120101, "天津", "和平区", "天津"), (370102, "济南", "历下区", "山东"),
        (370202, "青岛", "市南区", "山东"), (350203, "厦门", "思明区", "福建"), (350102, "福州", "鼓楼区", "福建"),
        (430104, "长沙", "岳麓区", "湖南"), (410105, "郑州", "金水区", "河南"), (210102, "沈阳", "和平区", "辽宁"),
        (220104, "长春", "朝阳区", "吉林"), (230103, "哈尔滨", "南岗区", "黑龙江"), (340104, "合肥", "蜀山区", "安徽"),
        (360103, "南昌", "西湖区", "江西"), (530102, "昆明", "五华区", "云南"), (450103, "南宁", "青秀区", "广西"),
        (520102, "贵阳", "南明区", "贵州"), (130102, "石家庄", "长安区", "河北"), (140105, "太原", "小店区", "山西"),
        (620102, "兰州", "城关区", "甘肃"), (650102, "乌鲁木齐", "天山区", "新疆"), (460106, "海口", "龙华区", "海南"),
        (441900, "东莞", "东莞市", "广东"), (442000, "中山", "中山市", "广东"), (330282, "慈溪", "慈溪市", "浙江"),
        (320281, "江阴", "江阴市", "江苏"), (350582, "晋江", "晋江市", "福建"), (330782, "义乌", "义乌市", "浙江"),
    ].map { ($0.0, Array($0.1.utf8), Array($0.2.utf8), Array($0.3.utf8)) }
    /// Where people and companies are: big cities weigh more.
    static let regionWeights = Weighted(regions.indices.map { i in i < 12 ? 8 : i < 24 ? 4 : 2 })
    static let municipalities: Set<Int> = [11, 12, 31, 50]  // 北京, 天津, 上海, 重庆: no 市 in names

    /// Characters for brand names (字号); two are picked, sometimes three.
    static let brandChars = chars(
        "华信达通恒泰鑫源盛丰联创新宏远嘉博瑞智海天德利鼎金汇安康乐益荣晟昌隆兴运星辰云启明元和美佳优腾飞锦程凯旋蓝图万象正阳众诚卓越银河东方")
    /// Latin or digit brand parts (the ones that come out full-width in some extracts).
    static let latinBrands = words("E家 U8 3D AI 5G K12 IT网 O2O V客 云ABC 极客X 优品365 8号 99")
    static let industries = words(
        "科技 信息技术 网络科技 电子商务 贸易 商贸 餐饮管理 餐饮服务 文化传媒 广告 物流 供应链管理 建筑工程 装饰工程 房地产开发 物业管理 医药 生物科技 教育咨询 企业管理咨询 旅游 酒店管理 服装 食品 农业发展 汽车服务 电器 机械设备 新能源科技 健康管理 美容 投资管理 实业 网络技术 软件 数据科技")
    static let suffixes = words("有限公司 有限责任公司 股份有限公司 集团有限公司 合伙企业（有限合伙）")
    static let suffixWeights = Weighted([80, 9, 6, 3, 2])
    static let shopTypes = words("便利店 餐馆 小吃店 水果店 烟酒店 服装店 五金店 理发店 手机店 超市 面馆 奶茶店")

    static let mobilePrefixes = words("138 139 136 137 135 150 151 152 158 159 182 186 187 188 130 131 132 155 156 185 133 153 177 180 181 189 199 191")
    static let virtualPrefixes = words("170 171 165 167 162")
    static let areaCodes = words("010 021 020 0755 0571 025 027 028 023 029")
    static let mailDomains = words("qq.com 163.com 126.com sina.com aliyun.com foxmail.com 139.com")

    static let open = Array("（".utf8), close = Array("）".utf8)
    static let shi = Array("市".utf8)
}
